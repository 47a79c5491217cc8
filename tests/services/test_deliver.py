"""The worker's handlers: a summary is posted once, knocked-out leads are not posted,
reminders respect claims, and ephemerals are best effort."""

from __future__ import annotations

import pytest
from services.conftest import SALES

from bot.domain.lifecycle import EventKind, LeadSource, LeadStatus, MessageKind
from bot.domain.work import (
    NotifyThread,
    ProcessLead,
    RefreshSummary,
    SendEphemeral,
    SlaReminder,
)
from bot.services.gateway import DeliveryError
from qualifiers.models import Lead


@pytest.fixture
def dropped(receive):
    stored, _ = receive.receive(
        Lead(text="CFO, budget 50k", source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT"),
        dedupe_key="slack:CINTAKE:1.0",
        intake_channel="CINTAKE",
        intake_ts="1.0",
    )
    return stored


def posts_to(gateway, channel):
    return [call for call in gateway.named("post_message") if call.args[0] == channel]


def test_process_posts_the_summary_once_and_answers_in_the_thread(deliver, gateway, uow, dropped):
    deliver.process(ProcessLead(lead_id=dropped.id))
    deliver.process(ProcessLead(lead_id=dropped.id))  # a retry after a crash

    [summary] = posts_to(gateway, SALES)
    assert summary.kwargs["blocks"]
    [reply] = posts_to(gateway, "CINTAKE")  # the intake reply is said once too
    assert reply.kwargs["thread_ts"] == "1.0"
    assert len(gateway.named("add_reaction")) == 1
    with uow as tx:
        assert tx.leads.get_lead(dropped.id).status == LeadStatus.POSTED
        assert tx.leads.slack_message(dropped.id, MessageKind.SUMMARY)[0] == SALES
    [reminder] = uow.queued(SlaReminder)  # warm: 240 minutes, queued once
    assert (reminder.tier, reminder.sla_minutes) == ("warm", 240)


def test_a_knocked_out_lead_is_answered_but_never_posted(deliver, gateway, uow, qualifier, dropped):
    qualifier.tier, qualifier.score, qualifier.knockout = "disqualified", 0, "student"

    deliver.process(ProcessLead(lead_id=dropped.id))

    assert posts_to(gateway, SALES) == []
    assert len(posts_to(gateway, "CINTAKE")) == 1
    assert uow.queued(SlaReminder) == []
    with uow as tx:
        event = tx.leads.latest_event(dropped.id, EventKind.DISQUALIFIED)
        assert tx.leads.get_lead(dropped.id).status == LeadStatus.DISQUALIFIED
    assert event.data == {"knockout": "student"}


def test_a_failed_post_leaves_the_lead_unposted_for_the_retry(deliver, gateway, uow, dropped):
    gateway.fail["post_message"] = "internal_error"
    with pytest.raises(DeliveryError):
        deliver.process(ProcessLead(lead_id=dropped.id))
    with uow as tx:
        assert tx.leads.slack_message(dropped.id, MessageKind.SUMMARY) is None

    del gateway.fail["post_message"]
    deliver.process(ProcessLead(lead_id=dropped.id))
    assert len(posts_to(gateway, SALES)) == 2  # the failed try and the one that worked


def test_refresh_re_renders_the_posted_summary_in_place(deliver, claims, gateway, dropped):
    deliver.refresh(RefreshSummary(lead_id=dropped.id))
    assert gateway.named("update_message") == []  # not posted yet: nothing to update

    deliver.process(ProcessLead(lead_id=dropped.id))
    claims.claim(dropped.id, "UREP1", SALES)
    deliver.refresh(RefreshSummary(lead_id=dropped.id))

    [update] = gateway.named("update_message")
    assert update.args[2].startswith("✅ Claimed by urep1: CFO, budget 50k")  # users.info's name
    header = update.kwargs["blocks"][0]["text"]["text"]
    assert header == "✅ Claimed by urep1 · 🌤️ Warm · 55/100 · CFO, budget 50k"


def test_the_sla_reminder_is_sent_once_and_not_for_a_claimed_lead(
    deliver, claims, gateway, dropped
):
    deliver.process(ProcessLead(lead_id=dropped.id))
    reminder = SlaReminder(lead_id=dropped.id, tier="warm", sla_minutes=240)

    deliver.remind(reminder)
    deliver.remind(reminder)
    broadcasts = [c for c in gateway.named("post_message") if c.kwargs["broadcast"]]
    assert len(broadcasts) == 1

    claims.claim(dropped.id, "UREP1", SALES)
    gateway.calls.clear()
    deliver.remind(reminder.model_copy())
    assert gateway.named("post_message") == []


def test_notices_go_to_a_dm_thread_for_modal_leads_and_nowhere_for_cli_leads(
    deliver, receive, gateway
):
    modal, _ = receive.receive(
        Lead(text="x", source=LeadSource.SLACK_MODAL, submitted_by="UMKT"), dedupe_key="v:1"
    )
    cli, _ = receive.receive(Lead(text="y", source="cli", submitted_by="ana@x.io"), dedupe_key="c")

    deliver.notify(NotifyThread(lead_id=modal.id, text="first"))
    deliver.notify(NotifyThread(lead_id=modal.id, text="second"))
    deliver.notify(NotifyThread(lead_id=cli.id, text="nobody to tell"))

    first, second = gateway.named("post_message")
    assert (first.args[0], first.kwargs["thread_ts"]) == ("UMKT", None)
    assert (second.args[0], second.kwargs["thread_ts"]) == ("DUMKT", "1700000000.000001")


def test_an_ephemeral_is_retried_twice_then_dropped(deliver, gateway):
    gateway.fail["post_ephemeral"] = "channel_not_found"
    message = SendEphemeral(channel="C1", user="U1", text="hi")
    for attempt in (1, 2):
        with pytest.raises(DeliveryError):
            deliver.ephemeral(message, attempt)
    deliver.ephemeral(message, 3)
    assert len(gateway.named("post_ephemeral")) == 3
