"""What a lead's move queues for the outside world, in the move's own transaction: with the
real unit of work on SQLite, each committed move queues one event, a rolled-back one none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.crm.handoff import Handoff
from bot.domain.lifecycle import LeadStatus
from bot.store.tables import WorkItemRow
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Lead


def queued(repo) -> list[tuple[str, dict]]:
    with repo.session() as session:
        rows = session.scalars(
            select(WorkItemRow)
            .where(WorkItemRow.kind.in_(["lead_event", "hubspot_sync"]))
            .order_by(WorkItemRow.id)
        )
        return [(row.kind, row.payload) for row in rows]


@pytest.fixture
def uow(repo) -> UnitOfWork:
    return UnitOfWork(repo, on_transitions=Handoff(events=True, hubspot=True))


def stored_lead(uow) -> int:
    with uow as tx:
        stored, _ = tx.leads.add_lead(Lead(text="Dana <dana@globex.example>, 50k budget"))
        tx.leads.set_status(stored.id, LeadStatus.POSTED)
    return stored.id


def test_a_claim_queues_an_event_and_a_hubspot_sync_a_lost_claim_nothing(uow, repo):
    lead_id = stored_lead(uow)
    with uow as tx:
        assert tx.leads.claim(lead_id, "UREP1").won
    with uow as tx:
        assert not tx.leads.claim(lead_id, "UREP2").won
    [(event_kind, event), (sync_kind, sync)] = queued(repo)
    assert (event_kind, event["body"]["event"], event["body"]["rep"]) == (
        "lead_event",
        "claimed",
        "UREP1",
    )
    assert (sync_kind, sync["event"], sync["rep"]) == ("hubspot_sync", "claimed", "UREP1")


def test_a_move_that_is_rolled_back_queues_nothing(uow, repo):
    lead_id = stored_lead(uow)
    with pytest.raises(RuntimeError), uow as tx:
        tx.leads.claim(lead_id, "UREP1")
        raise RuntimeError("the use case failed after the claim")
    assert queued(repo) == []
    assert repo.get_lead(lead_id).claimed_by is None


def test_a_knockout_is_a_disqualification_without_a_rep_and_an_outcome_is_handed_off(uow, repo):
    lead_id = stored_lead(uow)
    with uow as tx:
        tx.leads.set_status(lead_id, LeadStatus.DISQUALIFIED, knockout="student")
    with uow as tx:
        # an outcome is recorded as a lead event of that name (bot/services/outcomes.py)
        tx.leads.add_event(lead_id, "outcome", "UREP1", outcome="won")
    events = [payload for kind, payload in queued(repo) if kind == "lead_event"]
    assert [(e["body"]["event"], e["body"]["rep"]) for e in events] == [
        ("disqualified", None),
        ("outcome", "UREP1"),
    ]
    assert events[1]["body"]["outcome"] == "won"
    syncs = [payload for kind, payload in queued(repo) if kind == "hubspot_sync"]
    assert [(s["event"], s["outcome"]) for s in syncs] == [
        ("disqualified", None),
        ("outcome", "won"),
    ]


def test_without_destinations_nothing_is_queued(repo):
    uow = UnitOfWork(repo)
    lead_id = stored_lead(uow)
    with uow as tx:
        tx.leads.claim(lead_id, "UREP1")
    assert queued(repo) == []
