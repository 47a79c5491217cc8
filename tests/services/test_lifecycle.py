"""The lead's lifecycle in the services, in memory: answers that answer something (latest
wins), knockouts found later, overrides, edits, withdrawals and the claimer told."""

from __future__ import annotations

import pytest
from services.conftest import MANAGER, SALES

from bot.domain.lifecycle import EventKind, LeadSource, LeadStatus, MessageKind, has_lead_signal
from bot.domain.work import NotifyUser, ProcessLead, RefreshSummary, Requalify
from qualifiers.models import Lead, Qualification, RubricRef


@pytest.fixture
def posted(receive, deliver, uow):
    stored, _ = receive.receive(
        Lead(text="CFO, budget 50k", source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT"),
        dedupe_key="slack:CINTAKE:1.0",
        intake_channel="CINTAKE",
        intake_ts="1.0",
    )
    deliver.process(ProcessLead(lead_id=stored.id))
    return stored


def lead(uow, lead_id):
    with uow as tx:
        return tx.leads.get_lead(lead_id)


def answer(receive, deliver, uow, stored, text, user="UMKT"):
    queued = len(uow.queued(Requalify))
    receive.add_answer(lead(uow, stored.id), text, user, dedupe_key=f"answer:{text}:{user}")
    for message in uow.queued(Requalify)[queued:]:
        deliver.requalify(message)


def test_chit_chat_is_not_an_answer_and_a_correction_replaces_the_earlier_answer(
    receive, deliver, uow, posted, qualifier
):
    answer(receive, deliver, uow, posted, "thanks! :tada:")
    assert qualifier.calls == 1 and uow.queued(RefreshSummary) == []

    answer(receive, deliver, uow, posted, "Budget is $60,000")
    answer(receive, deliver, uow, posted, "Correction: budget is only 5k", user=MANAGER)
    with uow as tx:
        latest = tx.leads.latest_qualification(posted.id)
        answers = tx.leads.events(posted.id, EventKind.ANSWERED)
    budget = next(c for c in latest.criteria if c.id == "budget")
    assert budget.value == 5000
    assert [(a.actor, list(a.data["answers"])) for a in answers] == [
        ("UMKT", ["budget"]),
        (MANAGER, ["budget"]),
    ]


def test_a_retried_answer_is_recorded_once(receive, deliver, uow, posted):
    receive.add_answer(posted, "Budget is $60,000", "UMKT", dedupe_key="answer:1")
    [message] = uow.queued(Requalify)
    deliver.requalify(message)
    deliver.requalify(message)  # the worker ran it again after a crash
    with uow as tx:
        assert len(tx.leads.events(posted.id, EventKind.ANSWERED)) == 1


def test_a_knockout_answer_ends_the_claim_and_tells_the_claimer(
    receive, deliver, claims, uow, posted
):
    claims.claim(posted.id, "UREP1", SALES)
    answer(receive, deliver, uow, posted, "Sorry, I'm a student, this is for my thesis")
    stored = lead(uow, posted.id)
    assert (stored.status, stored.claimed_by) == (LeadStatus.DISQUALIFIED, None)
    [told] = uow.queued(NotifyUser)
    assert told.user == "UREP1" and "your claim has ended" in told.text
    assert claims.claim(posted.id, "UREP2", SALES) is False


def test_an_override_needs_the_submitter_or_a_manager_and_is_kept_on_requalifying(
    receive, deliver, claims, uow, qualifier
):
    stored, _ = receive.receive(
        Lead(text="student", source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT"),
        dedupe_key="k",
        intake_channel="CINTAKE",
        intake_ts="2.0",
    )
    qualifier.knockout, qualifier.tier = "student", "disqualified"
    deliver.process(ProcessLead(lead_id=stored.id))
    assert lead(uow, stored.id).status == LeadStatus.DISQUALIFIED

    assert "Only the person" in claims.override_knockout(stored.id, "USTRANGER")
    assert claims.override_knockout(stored.id, "UMKT") is None
    assert lead(uow, stored.id).status == LeadStatus.QUALIFIED
    for message in uow.queued(ProcessLead)[1:]:
        deliver.process(message)
    assert lead(uow, stored.id).status == LeadStatus.POSTED
    deliver.requalify(Requalify(lead_id=stored.id, actor="UMKT", edited=True))
    with uow as tx:
        assert tx.leads.latest_qualification(stored.id).knockout is None
        assert tx.leads.latest_event(stored.id, EventKind.KNOCKOUT_OVERRIDDEN).actor == "UMKT"
    assert lead(uow, stored.id).status == LeadStatus.POSTED


def test_an_edit_requalifies_once_and_a_deletion_withdraws(receive, claims, uow, posted):
    assert not receive.revise("CINTAKE", "1.0", posted.lead, "UMKT", edit_key="e0")  # same
    edited = posted.lead.model_copy(update={"text": "CFO, budget 80k"})
    assert receive.revise("CINTAKE", "1.0", edited, "UMKT", edit_key="e1")
    assert not receive.revise("CINTAKE", "1.0", edited, "UMKT", edit_key="e1")
    assert [m.edited for m in uow.queued(Requalify)] == [True]

    claims.claim(posted.id, "UREP1", SALES)
    assert receive.withdraw("CINTAKE", "1.0")
    assert not receive.withdraw("CINTAKE", "1.0")
    stored = lead(uow, posted.id)
    assert (stored.status, stored.claimed_by) == (LeadStatus.WITHDRAWN, None)
    assert [m.user for m in uow.queued(NotifyUser)] == ["UREP1"]


def test_a_managers_release_tells_the_claimer_and_their_own_does_not(claims, uow, posted):
    claims.claim(posted.id, "UREP1", SALES)
    claims.release(posted.id, "UREP1", SALES)
    assert uow.queued(NotifyUser) == []
    claims.claim(posted.id, "UREP2", SALES)
    claims.release(posted.id, MANAGER, SALES)
    [told] = uow.queued(NotifyUser)
    assert told.user == "UREP2" and f"<@{MANAGER}> released your claim" in told.text


def test_no_lead_signal_is_held_back_until_confirmed(receive, deliver, claims, uow, gateway):
    stored, _ = receive.receive(
        Lead(text="ok thanks everyone :wave:", source=LeadSource.SLACK_MESSAGE),
        dedupe_key="chat",
        intake_channel="CINTAKE",
        intake_ts="3.0",
    )
    rubric = RubricRef(name="r", version="v")
    nothing = Qualification(score=0, tier="cold", rubric=rubric, qualifier="offline")
    assert not has_lead_signal(nothing, stored.lead)
    with uow as tx:
        tx.leads.add_qualification(stored.id, nothing)
    deliver.process(ProcessLead(lead_id=stored.id))
    with uow as tx:
        assert tx.leads.slack_message(stored.id, MessageKind.SUMMARY) is None
        assert tx.leads.slack_message(stored.id, MessageKind.NOT_A_LEAD) is not None

    assert claims.confirm_lead(stored.id, "UMKT") is None
    for message in uow.queued(ProcessLead)[1:]:
        deliver.process(message)
    with uow as tx:
        assert tx.leads.slack_message(stored.id, MessageKind.SUMMARY) is not None
