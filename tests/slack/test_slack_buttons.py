"""Claim, release and disqualify on a posted summary."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from slack_helpers import (
    CLAIMED_ACTIONS,
    INTAKE,
    MANAGER,
    action_ids,
    block_text,
    drop_lead,
    thread_replies,
    view_submission,
)

from bot.domain.lifecycle import Outcome
from bot.render import summary as blocks

REPS = [f"UREP{n:02d}" for n in range(20)]


def _updates(fake_slack, lead) -> list:
    return [
        c
        for c in fake_slack.calls("chat.update")
        if (c.body["channel"], c.body["ts"]) == (lead.channel, lead.ts)
    ]


def _ephemerals(fake_slack, user: str) -> list[str]:
    return [
        c.body["text"] for c in fake_slack.calls("chat.postEphemeral") if c.body["user"] == user
    ]


def test_twenty_simultaneous_claims_make_one_winner(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    start = threading.Barrier(len(REPS))

    def click(rep: str) -> int:
        start.wait()
        return slack.click(blocks.ACTION_CLAIM, lead.id, rep, lead.channel, lead.ts).status

    with ThreadPoolExecutor(len(REPS)) as pool:
        statuses = list(pool.map(click, REPS))
    assert statuses == [200] * len(REPS)
    leadbot.worker.wait_until_idle()

    winner = repo.get_lead(lead.id).claimed_by
    assert winner in REPS
    [update] = _updates(fake_slack, lead)
    assert f"Claimed by <@{winner}>" in block_text(update.body["blocks"])
    assert update.body["blocks"][0]["text"]["text"].startswith(f"✅ Claimed by {winner.lower()}")
    assert action_ids(update.body["blocks"]) == CLAIMED_ACTIONS
    ephemerals = fake_slack.calls("chat.postEphemeral")
    assert sorted(c.body["user"] for c in ephemerals) == sorted(set(REPS) - {winner})
    assert all(f"already claimed by <@{winner}>" in c.body["text"] for c in ephemerals)
    assert any(
        f"Claimed by <@{winner}>" in t for t in thread_replies(fake_slack, INTAKE, lead.intake_ts)
    )

    slack.click(blocks.ACTION_CLAIM, lead.id, winner, lead.channel, lead.ts)  # double click
    leadbot.worker.wait_until_idle()
    assert len(fake_slack.calls("chat.postEphemeral")) == len(REPS) - 1
    assert len(_updates(fake_slack, lead)) == 1


def test_release_by_claimer_or_manager_only(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert len(_updates(fake_slack, lead)) == 1

    slack.click(blocks.ACTION_RELEASE, lead.id, "UREP2", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by == "UREP1"
    assert "Only <@UREP1>" in _ephemerals(fake_slack, "UREP2")[0]
    assert len(_updates(fake_slack, lead)) == 1  # the refused click changed nothing

    slack.click(blocks.ACTION_RELEASE, lead.id, "UREP1", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by is None
    reopened = _updates(fake_slack, lead)[-1]
    assert action_ids(reopened.body["blocks"]) == [blocks.ACTION_CLAIM, blocks.ACTION_DISQUALIFY]

    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP2", lead.channel, lead.ts)
    slack.click(blocks.ACTION_RELEASE, lead.id, MANAGER, lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by is None
    assert len(_updates(fake_slack, lead)) == 4
    notices = thread_replies(fake_slack, INTAKE, lead.intake_ts)
    assert any(f"Released by <@{MANAGER}>" in t for t in notices)


def test_disqualify_asks_a_reason_then_updates_and_tells_the_marketer(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo)
    assert (
        slack.click(blocks.ACTION_DISQUALIFY, lead.id, "UREP1", lead.channel, lead.ts).status == 200
    )
    [opened] = fake_slack.wait_for("views.open")
    modal = opened.body["view"]
    assert modal["callback_id"] == blocks.CALLBACK_DISQUALIFY_MODAL
    assert modal["private_metadata"] == str(lead.id)

    empty = view_submission(
        blocks.CALLBACK_DISQUALIFY_MODAL,
        {blocks.BLOCK_REASON: {blocks.ACTION_REASON: "  "}},
        user="UREP1",
        metadata=str(lead.id),
    )
    refused = slack.interaction(empty)
    assert json.loads(refused.body)["response_action"] == "errors"
    assert repo.get_lead(lead.id).status == "posted"

    reason = "Existing customer <@UBOSS>, handled by account management"
    submitted = view_submission(
        blocks.CALLBACK_DISQUALIFY_MODAL,
        {blocks.BLOCK_REASON: {blocks.ACTION_REASON: reason}},
        user="UREP1",
        metadata=str(lead.id),
    )
    assert slack.interaction(submitted).status == 200
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).status == "disqualified"
    [update] = _updates(fake_slack, lead)
    text = block_text(update.body["blocks"])
    assert "Disqualified by urep1" in text and "&lt;@UBOSS&gt;" in text  # users.info's name
    assert update.body["blocks"][0]["text"]["text"].startswith("🚫 Disqualified · ")
    assert action_ids(update.body["blocks"]) == []
    notices = thread_replies(fake_slack, INTAKE, lead.intake_ts)
    assert any("Disqualified by <@UREP1>" in t and "account management" in t for t in notices)

    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP2", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by is None
    assert _ephemerals(fake_slack, "UREP2") == ["This lead can no longer be claimed."]


def test_only_the_claimer_or_a_manager_may_disqualify_a_claimed_lead(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo)
    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    slack.click(blocks.ACTION_DISQUALIFY, lead.id, "UREP2", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    fake_slack.wait_for("chat.postEphemeral")
    assert "Only <@UREP1>" in _ephemerals(fake_slack, "UREP2")[0]
    assert fake_slack.calls("views.open") == []
    assert repo.get_lead(lead.id).status == "claimed"


def test_the_claimer_or_a_manager_records_an_outcome_and_the_summary_shows_it(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo)
    won, lost = blocks.ACTION_OUTCOMES[Outcome.WON], blocks.ACTION_OUTCOMES[Outcome.LOST]
    slack.click(won, lead.id, "UREP1", lead.channel, lead.ts)  # not claimed yet
    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    slack.click(won, lead.id, "UREP2", lead.channel, lead.ts)  # not the claimer
    leadbot.worker.wait_until_idle()
    assert _ephemerals(fake_slack, "UREP1") == [
        "Only a claimed lead has an outcome: claim it first."
    ]
    assert "Only <@UREP1> (who claimed it)" in _ephemerals(fake_slack, "UREP2")[0]
    assert repo.get_lead(lead.id).status == "claimed"

    slack.click(won, lead.id, "UREP1", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    stored = repo.get_lead(lead.id)
    assert (stored.status, stored.claimed_by) == ("won", "UREP1")
    assert repo.latest_outcome(lead.id).outcome == Outcome.WON
    update = _updates(fake_slack, lead)[-1]
    assert update.body["blocks"][0]["text"]["text"].startswith("🏆 Won")
    assert "Won, worked by <@UREP1>" in block_text(update.body["blocks"])
    assert action_ids(update.body["blocks"]) == list(blocks.ACTION_OUTCOMES.values())
    assert any(
        "recorded the outcome: Won" in t for t in thread_replies(fake_slack, INTAKE, lead.intake_ts)
    )

    slack.click(blocks.ACTION_RELEASE, lead.id, "UREP1", lead.channel, lead.ts)
    slack.click(lost, lead.id, MANAGER, lead.channel, lead.ts)  # a manager corrects it
    leadbot.worker.wait_until_idle()
    assert "already has an outcome" in _ephemerals(fake_slack, "UREP1")[-1]
    assert repo.get_lead(lead.id).status == "lost"
    assert [e.data["outcome"] for e in repo.events(lead.id, "outcome")] == ["won", "lost"]
