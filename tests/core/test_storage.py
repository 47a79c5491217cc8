"""Storage on SQLite and (when LEADBOT_TEST_POSTGRES_URL is set) PostgreSQL: leads are deduped
and never overwritten, re-qualifying adds a row, and exactly one of many claims wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.domain.lifecycle import EventKind
from bot.domain.work import ProcessLead
from bot.store.unit_of_work import UnitOfWork
from bot.store.work_queue import WorkQueue
from qualifiers.models import Lead, Qualification, RubricRef


def qualification(score: int, tier: str, version: str = "v1") -> Qualification:
    return Qualification(
        score=score, tier=tier, rubric=RubricRef(name="default", version=version), qualifier="t"
    )


def test_the_same_content_is_stored_once(repository):
    lead = Lead(text="We need a CRM", fields={"Company": "Acme"}, source="cli")
    first, created = repository.add_lead(lead)
    again, created_again = repository.add_lead(lead.model_copy())
    other_source, created_other = repository.add_lead(lead.model_copy(update={"source": "slack"}))
    assert (created, created_again, created_other) == (True, False, True)
    assert again.id == first.id
    assert other_source.id != first.id


def test_a_stored_lead_is_never_overwritten(repository):
    stored, _ = repository.add_lead(Lead(text="original words"), dedupe_key="slack:C1:1.0")
    again, created = repository.add_lead(Lead(text="edited words"), dedupe_key="slack:C1:1.0")
    assert created is False
    assert again.lead.text == "original words"
    assert repository.get_lead(stored.id).lead.text == "original words"


def test_answers_are_events_beside_the_original_text_and_an_edit_replaces_the_text(repository):
    stored, _ = repository.add_lead(Lead(text="CFO at Globex"))
    repository.add_answer(stored.id, "Budget is 50k", "U1", answers={"budget": {}})
    repository.add_answer(stored.id, "Correction: 5k", "U2", answers={"budget": {}})
    repository.revise(stored.id, "CFO at Globex Freight", {"Company": "Globex"}, "U1")
    lead = repository.get_lead(stored.id).lead
    assert (lead.text, lead.fields) == ("CFO at Globex Freight", {"Company": "Globex"})
    answers = repository.events(stored.id, EventKind.ANSWERED)
    assert [(a.actor, a.data["text"]) for a in answers] == [
        ("U1", "Budget is 50k"),
        ("U2", "Correction: 5k"),
    ]
    assert repository.latest_event(stored.id, EventKind.EDITED).data == {
        "previous": "CFO at Globex"
    }


def test_requalification_adds_a_row_and_the_latest_wins(repository):
    stored, _ = repository.add_lead(Lead(text="lead"))
    repository.add_qualification(stored.id, qualification(30, "cold", "v1"))
    repository.add_qualification(stored.id, qualification(75, "hot", "v2"))
    assert repository.count_qualifications(stored.id) == 2
    latest = repository.latest_qualification(stored.id)
    assert (latest.score, latest.tier, latest.rubric.version) == (75, "hot", "v2")


def test_rubric_usage_counts_leads_and_runs_per_version(repository):
    first, _ = repository.add_lead(Lead(text="one"))
    second, _ = repository.add_lead(Lead(text="two"))
    for lead_id in (first.id, second.id, first.id):
        repository.add_qualification(lead_id, qualification(10, "cold", "v1"))
    repository.add_qualification(second.id, qualification(90, "hot", "v2"))
    usage = repository.rubric_usage()
    assert [(u.name, u.version, u.leads, u.qualifications) for u in usage] == [
        ("default", "v1", 2, 3),
        ("default", "v2", 1, 1),
    ]
    assert usage[0].first_at <= usage[0].last_at <= usage[1].first_at


def test_of_twenty_simultaneous_claims_exactly_one_wins(repository):
    stored, _ = repository.add_lead(Lead(text="hot lead"))
    start = threading.Barrier(20)

    def claim(user: str):
        start.wait(timeout=30)
        return repository.claim(stored.id, user)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, [f"U{i:02d}" for i in range(20)]))
    winners = [result for result in results if result.won]
    assert len(winners) == 1
    winner = winners[0].claimed_by
    assert all(result.claimed_by == winner for result in results)
    assert repository.get_lead(stored.id).claimed_by == winner


def test_only_the_claimer_or_a_manager_may_release(repository):
    stored, _ = repository.add_lead(Lead(text="lead"))
    assert repository.release(stored.id, "U1") is False
    assert repository.claim(stored.id, "U1").won
    assert repository.release(stored.id, "U2") is False
    assert repository.get_lead(stored.id).claimed_by == "U1"
    assert repository.release(stored.id, "U1") is True
    assert repository.get_lead(stored.id).claimed_by is None
    assert repository.claim(stored.id, "U2").won
    assert repository.release(stored.id, "MANAGER", by_manager=True) is True
    assert repository.claim(stored.id, "U3").won


def test_a_unit_of_work_commits_lead_and_work_together_or_neither(repository):
    woken = []
    uow = UnitOfWork(repository, on_work=lambda: woken.append(True))
    with pytest.raises(RuntimeError), uow as tx:
        stored, _ = tx.leads.add_lead(Lead(text="lost"), dedupe_key="k:1")
        tx.work.add(ProcessLead(lead_id=stored.id), dedupe_key=f"process:{stored.id}")
        raise RuntimeError("crash before the commit")
    assert (repository.find_by_dedupe_key("k:1"), WorkQueue(repository).pending(), woken) == (
        None,
        0,
        [],
    )

    with uow as tx:
        stored, created = tx.leads.add_lead(Lead(text="kept"), dedupe_key="k:1")
        again, created_again = tx.leads.add_lead(Lead(text="kept"), dedupe_key="k:1")
        assert tx.work.add(ProcessLead(lead_id=stored.id), dedupe_key=f"process:{stored.id}")
        assert not tx.work.add(ProcessLead(lead_id=stored.id), dedupe_key=f"process:{stored.id}")
        assert woken == []  # nothing is woken inside the transaction
    assert (created, created_again, again.id) == (True, False, stored.id)
    assert woken == [True]
    assert WorkQueue(repository).lease(60).message() == ProcessLead(lead_id=stored.id)


def test_units_of_work_do_not_nest(repository):
    uow = UnitOfWork(repository)
    with pytest.raises(RuntimeError, match="do not nest"), uow, uow:
        pass
