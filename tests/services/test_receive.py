"""Receiving: the lead and its work are one unit of work; redeliveries add nothing."""

from __future__ import annotations

import pytest
from services.fakes import MemoryOutbox

from bot.domain.lifecycle import LeadSource, LeadStatus
from bot.domain.work import ProcessLead, Requalify
from qualifiers.models import Lead

MANAGER = "UMGR"


def slack_lead(text="CFO at Globex, budget 50k"):
    return Lead(text=text, source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT")


def test_a_lead_and_its_processing_are_stored_in_one_commit(receive, uow):
    stored, created = receive.receive(slack_lead(), dedupe_key="slack:C1:1.0")

    assert created and stored.status == LeadStatus.RECEIVED
    assert uow.commits == 1 and uow.woken == 1
    assert uow.queued() == [ProcessLead(lead_id=stored.id)]


def test_a_redelivery_returns_the_stored_lead_and_queues_nothing_new(receive, uow):
    first, _ = receive.receive(slack_lead(), dedupe_key="slack:C1:1.0")
    again, created = receive.receive(slack_lead("edited"), dedupe_key="slack:C1:1.0")

    assert (again.id, created, again.lead.text) == (first.id, False, first.lead.text)
    assert len(uow.queued(ProcessLead)) == 1
    assert uow.woken == 1  # nothing new to do, so the worker is not woken


def test_a_failure_inside_the_unit_of_work_stores_neither_lead_nor_work(receive, uow, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(MemoryOutbox, "add", broken)
    with pytest.raises(RuntimeError):
        receive.receive(slack_lead(), dedupe_key="slack:C1:1.0")

    assert uow.state.leads == {} and uow.state.work == []


def test_a_reply_is_queued_as_an_answer_once_and_only_from_who_may_answer(receive, uow):
    stored, _ = receive.receive(slack_lead(), dedupe_key="slack:C1:1.0")

    assert receive.add_answer(stored, " Budget is 80k ", "UMKT", dedupe_key="answer:C1:2.0")
    assert not receive.add_answer(stored, "Budget is 80k", "UMKT", dedupe_key="answer:C1:2.0")
    assert not receive.add_answer(stored, "I'm a student", "USTRANGER", dedupe_key="answer:3")
    assert receive.add_answer(stored, "Budget is 90k", MANAGER, dedupe_key="answer:4")
    claimed = stored.model_copy(update={"claimed_by": "UREP1"})
    assert receive.add_answer(claimed, "CEO signs off", "UREP1", dedupe_key="answer:5")

    with uow as tx:
        assert tx.leads.get_lead(stored.id).lead.text == "CFO at Globex, budget 50k"
    assert [(r.actor, r.answer) for r in uow.queued(Requalify)] == [
        ("UMKT", "Budget is 80k"),
        (MANAGER, "Budget is 90k"),
        ("UREP1", "CEO signs off"),
    ]


def test_a_disqualified_lead_or_an_empty_reply_takes_no_answer(receive, uow):
    stored, _ = receive.receive(slack_lead(), dedupe_key="slack:C1:1.0")
    assert not receive.add_answer(stored, "   ", "UMKT", dedupe_key="answer:1")
    knocked_out = stored.model_copy(update={"status": LeadStatus.DISQUALIFIED})
    assert not receive.add_answer(knocked_out, "Budget 80k", "UMKT", dedupe_key="answer:2")
    assert uow.queued(Requalify) == []


def test_replies_find_their_lead_only_in_an_intake_thread_of_a_dropped_message(receive):
    dropped, _ = receive.receive(
        slack_lead(), dedupe_key="slack:C1:1.0", intake_channel="C1", intake_ts="1.0"
    )
    receive.receive(
        Lead(text="x", source=LeadSource.SLACK_SHORTCUT, submitted_by="UMKT"),
        dedupe_key="slack:C1:3.0",
        intake_channel="C1",
        intake_ts="3.0",
    )
    assert receive.lead_for_reply("C1", "1.0", intake=True).id == dropped.id
    assert receive.lead_for_reply("C1", "3.0", intake=True) is None  # a shortcut's thread
    assert receive.lead_for_reply("C1", "1.0", intake=False) is None


def test_a_batch_is_qualified_together_and_each_lead_queued_once(receive, uow, qualifier):
    rows = [(slack_lead(f"lead {n}"), f"row:{n}") for n in range(3)]
    first = receive.receive_many(rows)
    again = receive.receive_many(rows)

    assert [created for _, _, created in first] == [True, True, True]
    assert [created for _, _, created in again] == [False, False, False]
    assert qualifier.calls == 3  # the rerun reuses the stored qualifications
    assert len(uow.queued(ProcessLead)) == 3
    with uow as tx:
        assert {tx.leads.get_lead(i).status for i in (1, 2, 3)} == {LeadStatus.QUALIFIED}


def test_a_batch_queues_hot_leads_before_cold_ones(receive, uow, qualifier):
    qualifier.tier = "cold"
    receive.receive_many([(slack_lead("lead 1"), "row:1")])
    qualifier.tier = "hot"
    receive.receive_many([(slack_lead("lead 2"), "row:2")])
    priorities = {w.message.lead_id: w.priority for w in uow.state.work}
    assert priorities[2] > priorities[1]
