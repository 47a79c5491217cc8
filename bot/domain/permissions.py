"""Who may do what to a lead or the rubric: pure functions of the lead's state and the
team's managers, so every surface refuses the same way."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.lifecycle import CLOSED, OUTCOME_STATUSES, LeadStatus, can_move


class Managers:
    """The one manager check (LEADBOT_MANAGERS)."""

    def __init__(self, user_ids: Collection[str] = ()):
        self.user_ids = frozenset(user_ids)

    def __contains__(self, user: str) -> bool:
        return user in self.user_ids

    def refusal(self, user: str, action: str) -> str | None:
        """ "Only managers can <action>." for anyone else; None for a manager."""
        return None if user in self.user_ids else f"Only managers can {action}."


def claim_refusal(status: LeadStatus | None) -> str | None:
    if status is None or status in CLOSED:
        return "This lead can no longer be claimed."
    return None


def may_answer(user: str, *, submitted_by: str | None, claimed_by: str | None, manager: bool):
    """Whose thread replies answer the lead's questions: the person who submitted it, the rep
    who claimed it, or a manager. Anyone else's reply is conversation."""
    return manager or user in (submitted_by, claimed_by)


def override_refusal(
    status: LeadStatus | None,
    knocked_out: bool,
    user: str,
    *,
    submitted_by: str | None,
    manager: bool,
) -> str | None:
    """Why `user` may not say "Not a knockout" (lift the rubric's knockout), or None."""
    if status != LeadStatus.DISQUALIFIED or not knocked_out:
        return "This lead is not knocked out."
    if user != submitted_by and not manager:
        return "Only the person who submitted the lead or a manager can override a knockout."
    return None


def release_refusal(
    status: LeadStatus | None, claimed_by: str | None, user: str, *, manager: bool
) -> str | None:
    """Why `user` may not release the lead (status None: no such lead), or None."""
    if status is None or claimed_by is None or status in CLOSED:
        return "This lead is not claimed."
    if status in OUTCOME_STATUSES:
        return "This lead already has an outcome; record another one to correct it."
    if claimed_by != user and not manager:
        return f"Only <@{claimed_by}> (who claimed it) or a manager can release this lead."
    return None


def disqualify_refusal(
    status: LeadStatus | None, claimed_by: str | None, user: str, *, manager: bool
) -> str | None:
    """Why `user` may not disqualify the lead (status None: no such lead), or None."""
    if status is None:
        return "This lead no longer exists."
    if status == LeadStatus.WITHDRAWN:
        return "This lead was withdrawn."
    if not can_move(status, LeadStatus.DISQUALIFIED):
        return "This lead is already disqualified."
    if claimed_by and claimed_by != user and not manager:
        return f"Only <@{claimed_by}> (who claimed it) or a manager can disqualify it."
    return None


def outcome_refusal(
    status: LeadStatus | None, claimed_by: str | None, user: str, *, manager: bool
) -> str | None:
    """Why `user` may not record Won / Lost / No response (status None: no such lead)."""
    if status is None:
        return "This lead no longer exists."
    if claimed_by is None or status not in (LeadStatus.CLAIMED, *OUTCOME_STATUSES):
        return "Only a claimed lead has an outcome: claim it first."
    if claimed_by != user and not manager:
        return f"Only <@{claimed_by}> (who claimed it) or a manager can record its outcome."
    return None
