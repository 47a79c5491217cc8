"""Claim SLAs: a lead nobody claims within its tier's `sla_minutes` gets one reminder.

No test waits for real minutes: the work queue's clock is moved forward, which makes the
scheduled reminder due, and the worker runs it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from slack_helpers import COLD_LEAD, SALES, drop_lead, thread_replies

from bot.domain.lifecycle import EventKind
from bot.domain.work import SlaReminder
from bot.render import summary as blocks
from bot.store.database import utcnow
from bot.store.work_queue import WorkQueue
from qualifiers.models import Lead


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, minutes: float) -> None:
        self.offset += timedelta(minutes=minutes)


@pytest.fixture
def clock(leadbot) -> MovableClock:
    clock = MovableClock()
    leadbot.worker.queue.clock = clock
    return clock


def run_due_work(leadbot) -> None:
    leadbot.worker.wake()
    leadbot.worker.wait_until_idle()


def sla_of(leadbot, repo, lead_id: int) -> tuple[str, int]:
    tier = repo.latest_qualification(lead_id).tier
    return tier, leadbot.services.rubrics.get().tier(tier).sla_minutes


def test_unclaimed_lead_gets_one_reminder_when_its_sla_runs_out(
    slack, leadbot, fake_slack, repo, clock
):
    lead = drop_lead(slack, leadbot, repo)
    tier, minutes = sla_of(leadbot, repo, lead.id)

    clock.advance(minutes - 1)
    run_due_work(leadbot)
    assert thread_replies(fake_slack, lead.channel, lead.ts) == []
    assert leadbot.worker.queue.lease(60) is None  # scheduled, not due yet

    clock.advance(2)
    run_due_work(leadbot)
    [reminder] = [
        call
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("thread_ts") == lead.ts
    ]
    assert reminder.body["channel"] == lead.channel
    assert reminder.body["text"] == blocks.sla_reminder_text(tier, minutes)
    assert f"(the SLA for {tier} leads)" in reminder.body["text"]
    assert reminder.body["reply_broadcast"] is True  # seen in the channel, without @here
    assert "<!here>" not in reminder.body["text"]
    assert repo.latest_event(lead.id, EventKind.SLA_REMINDER).data == {
        "tier": tier,
        "sla_minutes": minutes,
    }

    # the same reminder coming round again (e.g. retried after a crash) says nothing more
    leadbot.worker.queue.enqueue(SlaReminder(lead_id=lead.id, tier=tier, sla_minutes=minutes))
    clock.advance(minutes)
    run_due_work(leadbot)
    assert len(thread_replies(fake_slack, lead.channel, lead.ts)) == 1


@pytest.mark.parametrize("action", [blocks.ACTION_CLAIM, "disqualify"])
def test_claimed_or_disqualified_lead_gets_no_reminder(
    slack, leadbot, fake_slack, repo, clock, action
):
    lead = drop_lead(slack, leadbot, repo)
    _, minutes = sla_of(leadbot, repo, lead.id)
    if action == blocks.ACTION_CLAIM:
        slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    else:
        assert leadbot.services.claims.disqualify(lead.id, "UREP1", "duplicate") is None
    leadbot.worker.wait_until_idle()

    clock.advance(minutes + 1)
    run_due_work(leadbot)

    replies = thread_replies(fake_slack, lead.channel, lead.ts)
    assert not any("Unclaimed" in text for text in replies)
    assert repo.latest_event(lead.id, EventKind.SLA_REMINDER) is None
    assert leadbot.worker.queue.pending() == 0  # the reminder ran and did nothing


def test_tier_without_sla_schedules_no_reminder(slack, leadbot, fake_slack, repo, clock):
    event = slack.message_event(COLD_LEAD)
    slack.event(event)
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(event["channel"], event["ts"])
    channel, ts = repo.slack_message(stored.id, "summary")
    assert (channel, repo.latest_qualification(stored.id).tier) == (SALES, "cold")

    clock.advance(60 * 24 * 30)
    assert leadbot.worker.queue.lease(60) is None
    assert thread_replies(fake_slack, channel, ts) == []


def test_scheduled_work_is_not_pending_until_due_but_a_retried_item_is(repo):
    clock = MovableClock()
    queue = WorkQueue(repo, clock=clock)
    lead, _ = repo.add_lead(Lead(text="a"))
    queue.enqueue(
        SlaReminder(lead_id=lead.id, tier="hot", sla_minutes=15), delay=timedelta(minutes=15)
    )
    assert (queue.pending(), queue.lease(60)) == (0, None)

    clock.advance(15)
    assert queue.pending() == 1
    item = queue.lease(60)
    queue.retry_later(item, 3600, "DeliveryError: chat.postMessage: internal_error")
    assert (queue.pending(), queue.lease(60)) == (1, None)  # waiting for its retry
