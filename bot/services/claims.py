"""A rep's buttons on a summary: claim, release, disqualify. Called before Slack's ack, so
each only writes (the change and the work that follows from it, in one unit of work); the
summary's update and the notices are posted by the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain.lifecycle import UNPOSTED, EventKind, LeadStatus, without_knockout
from bot.domain.permissions import (
    Managers,
    claim_refusal,
    disqualify_refusal,
    override_refusal,
    release_refusal,
)
from bot.render import summary as render
from bot.render.identity import lead_title
from bot.services.assignment import after_release, assignee
from bot.services.notices import changed, post_now, tell, tell_claimer
from bot.services.rubric_holder import RubricHolder
from bot.store.database import utcnow
from bot.store.unit_of_work import Transaction, UnitOfWork


class ClaimsService:
    def __init__(
        self,
        uow: UnitOfWork,
        managers: Managers,
        rubrics: RubricHolder,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.uow = uow
        self.clock = clock
        self.managers = managers
        self.rubrics = rubrics

    def claim(self, lead_id: int, user: str, channel: str) -> bool:
        """Exactly one rep wins; everyone else is told who did. While round-robin's offer to
        a rep is open, only that rep (or a manager) may claim. Returns whether `user` won."""
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            refusal = claim_refusal(stored.status if stored else None)
            if refusal:
                tell(tx, channel, user, refusal)
                return False
            offered_to = assignee(tx, lead_id, self.clock())
            if offered_to and offered_to != user and user not in self.managers:
                tell(tx, channel, user, render.assigned_to_other_text(offered_to))
                return False
            result = tx.leads.claim(lead_id, user)
            if not result.won:
                if result.claimed_by != user:  # a rep's own double click needs no answer
                    tell(tx, channel, user, render.already_claimed_text(result.claimed_by))
                return False
            changed(tx, lead_id, render.claimed_reply_text(user))
            return True

    def release(self, lead_id: int, user: str, channel: str) -> bool:
        """Only the claimer or a manager may release; others are refused ephemerally."""
        manager = user in self.managers
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            refusal = release_refusal(
                stored.status if stored else None,
                stored.claimed_by if stored else None,
                user,
                manager=manager,
            )
            if refusal is None and not tx.leads.release(lead_id, user, by_manager=manager):
                refusal = "This lead is not claimed any more."
            if refusal:
                tell(tx, channel, user, refusal)
                return False
            changed(tx, lead_id, render.released_reply_text(user))
            after_release(tx, self.rubrics.get(), stored, self.clock())
            title = lead_title(stored.lead, lead_id)
            tell_claimer(
                tx, lead_id, stored.claimed_by, user, render.claim_released_text(user, title)
            )
            return True

    def disqualify_refusal(self, lead_id: int, user: str) -> str | None:
        """Why `user` may not disqualify the lead, or None when they may."""
        with self.uow as tx:
            return self._refusal(tx, lead_id, user)

    def disqualify(self, lead_id: int, user: str, reason: str) -> str | None:
        """Disqualify with a rep's reason; returns a refusal instead when not allowed."""
        with self.uow as tx:
            refusal = self._refusal(tx, lead_id, user)
            if refusal:
                return refusal
            stored = tx.leads.get_lead(lead_id)
            tx.leads.set_status(lead_id, LeadStatus.DISQUALIFIED, user, reason=reason)
            changed(tx, lead_id, render.disqualified_by_rep_text(user, reason))
            ended = render.claim_disqualified_text(user, lead_title(stored.lead, lead_id), reason)
            tell_claimer(tx, lead_id, stored.claimed_by, user, ended)
            return None

    def override_knockout(self, lead_id: int, user: str) -> str | None:
        """ "Not a knockout": the submitter or a manager lifts the rubric's knockout. Recorded
        with who did it; the lead is qualified without it and posted. Returns a refusal
        instead when not allowed."""
        rubric = self.rubrics.get()
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            if stored is None:
                return "This lead no longer exists."
            disqualified = tx.leads.latest_event(lead_id, EventKind.DISQUALIFIED)
            refusal = override_refusal(
                stored.status,
                disqualified is not None and disqualified.actor is None,
                user,
                submitted_by=stored.lead.submitted_by,
                manager=user in self.managers,
            )
            if refusal:
                return refusal
            qualification = tx.leads.latest_qualification(lead_id)
            tx.leads.add_event(
                lead_id, EventKind.KNOCKOUT_OVERRIDDEN, user, knockout=qualification.knockout
            )
            tx.leads.add_qualification(lead_id, without_knockout(qualification, rubric))
            tx.leads.set_status(lead_id, LeadStatus.QUALIFIED, user, override=True)
            post_now(tx, lead_id)
            changed(tx, lead_id, render.knockout_overridden_text(user))
            return None

    def confirm_lead(self, lead_id: int, user: str) -> str | None:
        """ "Qualify as lead" on a message that did not look like one: post it after all."""
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            if stored is None or stored.status not in UNPOSTED:
                return "This message is already handled."
            if tx.leads.latest_event(lead_id, EventKind.CONFIRMED) is not None:
                return None  # a double click
            tx.leads.add_event(lead_id, EventKind.CONFIRMED, user)
            post_now(tx, lead_id)
            return None

    def tell(self, channel: str, user: str, text: str) -> None:
        """An ephemeral message to one user, sent by the worker after the ack."""
        with self.uow as tx:
            tell(tx, channel, user, text)

    def _refusal(self, tx: Transaction, lead_id: int, user: str) -> str | None:
        stored = tx.leads.get_lead(lead_id)
        return disqualify_refusal(
            stored.status if stored else None,
            stored.claimed_by if stored else None,
            user,
            manager=user in self.managers,
        )
