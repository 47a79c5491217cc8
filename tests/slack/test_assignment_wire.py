"""Round-robin through the real Bolt app and the fake Slack Web API: `/leadbot away`, the
user group read with usergroups.users.list, the assigned rep mentioned in the summary's
thread, others' claims refused during the window, and a lead unclaimed past twice its SLA
escalated once."""

from __future__ import annotations

import json

import pytest
from slack_helpers import drop_lead, thread_replies
from test_sla_reminders import MovableClock, run_due_work

from bot.domain.lifecycle import EventKind, LeadStatus
from bot.render import summary as blocks
from qualifiers.rubric import DEFAULT_RUBRIC_PATH

ESCALATION = "CESCALATE"
ROUND_ROBIN = ", assign: round_robin, usergroup: SSALES, claim_window_minutes: 20}"


@pytest.fixture
def routed_rubric(tmp_path):
    """Hot and warm leads dealt round-robin among the user group SSALES."""
    text = DEFAULT_RUBRIC_PATH.read_text()
    for tier in (
        "{id: hot, min_score: 70, sla_minutes: 15}",
        "{id: warm, min_score: 40, sla_minutes: 240}",
    ):
        assert tier in text, "the default rubric's tiers changed; update this fixture"
        text = text.replace(tier, tier[:-1] + ROUND_ROBIN)
    path = tmp_path / "round_robin.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def slack_settings(slack_settings):
    return slack_settings.model_copy(update={"escalation_channel": ESCALATION})


@pytest.fixture
def clock(leadbot) -> MovableClock:
    clock = MovableClock()
    leadbot.worker.queue.clock = clock
    return clock


def test_round_robin_mentions_the_next_rep_at_work_and_holds_the_lead_for_them(
    slack, leadbot, fake_slack, repo, clock
):
    fake_slack.set_usergroup("SSALES", ["UANNA", "UBEN"])
    reply = slack.command("/leadbot", "away", user="UANNA")
    assert reply.status == 200 and "away" in json.loads(reply.body)["text"]

    lead = drop_lead(slack, leadbot, repo)
    leadbot.worker.wait_until_idle()

    assert fake_slack.calls("usergroups.users.list")[0].body["usergroup"] == "SSALES"
    [mention] = [t for t in thread_replies(fake_slack, lead.channel, lead.ts) if "your turn" in t]
    assert mention.startswith("<@UBEN>") and "20 min" in mention
    assert repo.latest_event(lead.id, EventKind.ASSIGNED).actor == "UBEN"

    assert slack.click(blocks.ACTION_CLAIM, lead.id, "UCARL", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    [refusal] = fake_slack.calls("chat.postEphemeral")
    assert refusal.body["user"] == "UCARL" and "<@UBEN>" in refusal.body["text"]
    assert repo.get_lead(lead.id).claimed_by is None

    assert slack.click(blocks.ACTION_CLAIM, lead.id, "UBEN", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).status == LeadStatus.CLAIMED


def test_a_lead_unclaimed_past_twice_its_sla_is_escalated_once(
    slack, leadbot, fake_slack, repo, clock
):
    fake_slack.set_usergroup("SSALES", ["UANNA"])
    lead = drop_lead(slack, leadbot, repo)
    tier = leadbot.services.rubrics.get().tier(repo.latest_qualification(lead.id).tier)

    clock.advance(2 * tier.sla_minutes - 1)
    run_due_work(leadbot)
    assert fake_slack.messages(ESCALATION) == []

    clock.advance(2)
    run_due_work(leadbot)
    clock.advance(60)
    run_due_work(leadbot)
    [told] = [
        c.body["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.body["channel"] == ESCALATION
    ]
    assert "twice its SLA" in told
    assert repo.latest_event(lead.id, EventKind.ESCALATED) is not None


def test_a_lead_released_by_its_rep_is_offered_to_the_next_rep_at_once(
    slack, leadbot, fake_slack, repo, clock
):
    fake_slack.set_usergroup("SSALES", ["UANNA", "UBEN", "UCARL"])
    slack.command("/leadbot", "away", user="UCARL")
    lead = drop_lead(slack, leadbot, repo)
    leadbot.worker.wait_until_idle()
    assert slack.click(blocks.ACTION_CLAIM, lead.id, "UANNA", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()

    assert slack.click(blocks.ACTION_RELEASE, lead.id, "UANNA", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()  # the offer at the end of Anna's window is not due yet

    turns = [t for t in thread_replies(fake_slack, lead.channel, lead.ts) if "your turn" in t]
    assert [t.split(",")[0] for t in turns] == ["<@UANNA>", "<@UBEN>"]  # Carl is away
    assert repo.latest_event(lead.id, EventKind.ASSIGNED).actor == "UBEN"
    assert slack.click(blocks.ACTION_CLAIM, lead.id, "UCARL", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by is None  # Ben's window is open


def test_a_rep_back_from_away_gets_their_turn_again(slack, leadbot, fake_slack, repo, clock):
    fake_slack.set_usergroup("SSALES", ["UANNA", "UBEN"])
    slack.command("/leadbot", "away", user="UANNA")
    first = drop_lead(slack, leadbot, repo)
    leadbot.worker.wait_until_idle()
    reply = slack.command("/leadbot", "back", user="UANNA")
    assert "Welcome back" in json.loads(reply.body)["text"]
    second = drop_lead(slack, leadbot, repo, "CFO here, 50k budget, 200 staff, decide this month")
    leadbot.worker.wait_until_idle()

    assert repo.latest_event(first.id, EventKind.ASSIGNED).actor == "UBEN"
    assert repo.latest_event(second.id, EventKind.ASSIGNED).actor == "UANNA"
