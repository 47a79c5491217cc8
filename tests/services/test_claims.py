"""Claims, releases and disqualifications: the permission rules and the work each queues."""

from __future__ import annotations

import pytest
from services.conftest import MANAGER

from bot.domain.lifecycle import EventKind, LeadStatus
from bot.domain.work import NotifyThread, RefreshSummary, SendEphemeral
from qualifiers.models import Lead


@pytest.fixture
def lead_id(uow) -> int:
    with uow as tx:
        stored, _ = tx.leads.add_lead(Lead(text="hot lead"))
        tx.leads.mark_posted(stored.id, "CSALES", "1.0")
    return stored.id


def ephemerals(uow) -> list[tuple[str, str]]:
    return [(m.user, m.text) for m in uow.queued(SendEphemeral)]


def test_one_rep_wins_the_next_is_told_who_and_a_double_click_is_silent(claims, uow, lead_id):
    assert claims.claim(lead_id, "UREP1", "CSALES")
    assert not claims.claim(lead_id, "UREP2", "CSALES")
    assert not claims.claim(lead_id, "UREP1", "CSALES")

    assert ephemerals(uow) == [("UREP2", "This lead is already claimed by <@UREP1>.")]
    assert uow.queued(RefreshSummary) == [RefreshSummary(lead_id=lead_id)]
    assert [m.text for m in uow.queued(NotifyThread)] == ["✅ Claimed by <@UREP1>."]


def test_only_the_claimer_or_a_manager_releases(claims, uow, lead_id):
    claims.claim(lead_id, "UREP1", "CSALES")

    assert not claims.release(lead_id, "UREP2", "CSALES")
    assert ephemerals(uow)[-1] == (
        "UREP2",
        "Only <@UREP1> (who claimed it) or a manager can release this lead.",
    )
    assert claims.release(lead_id, MANAGER, "CSALES")
    with uow as tx:
        stored = tx.leads.get_lead(lead_id)
    assert (stored.status, stored.claimed_by) == (LeadStatus.POSTED, None)
    assert not claims.release(lead_id, MANAGER, "CSALES")
    assert ephemerals(uow)[-1] == (MANAGER, "This lead is not claimed.")


def test_disqualify_needs_the_claimer_or_a_manager_and_a_lead_is_disqualified_once(
    claims, uow, lead_id
):
    claims.claim(lead_id, "UREP1", "CSALES")
    assert claims.disqualify(lead_id, "UREP2", "spam") == (
        "Only <@UREP1> (who claimed it) or a manager can disqualify it."
    )
    assert claims.disqualify(lead_id, "UREP1", "duplicate") is None
    assert claims.disqualify(lead_id, MANAGER, "again") == "This lead is already disqualified."
    assert claims.disqualify(999, MANAGER, "x") == "This lead no longer exists."

    with uow as tx:
        event = tx.leads.latest_event(lead_id, EventKind.DISQUALIFIED)
        status = tx.leads.get_lead(lead_id).status
    assert (status, event.actor, event.data) == (
        LeadStatus.DISQUALIFIED,
        "UREP1",
        {"reason": "duplicate"},
    )


def test_a_disqualified_lead_cannot_be_claimed(claims, uow, lead_id):
    with uow as tx:
        tx.leads.set_status(lead_id, LeadStatus.DISQUALIFIED, knockout="student")

    assert not claims.claim(lead_id, "UREP1", "CSALES")
    assert ephemerals(uow) == [("UREP1", "This lead can no longer be claimed.")]
    with uow as tx:
        assert tx.leads.get_lead(lead_id).claimed_by is None
