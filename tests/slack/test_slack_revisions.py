"""A lead's life after it is posted, driven as Slack drives it: answers and corrections in
the thread (only from the submitter, the claimer or a manager, only when they answer
something), knockouts found later, "Not a knockout", edits and deletions of the intake
message, releases and disqualifications told to the claimer, and chit-chat that is no lead."""

from __future__ import annotations

import copy

from slack_helpers import (
    CLAIMED_ACTIONS,
    COLD_LEAD,
    INTAKE,
    MANAGER,
    MARKETER,
    WARM_LEAD,
    action_ids,
    block_text,
    drop_lead,
    load_payload,
    summaries,
    thread_replies,
)

from bot.domain.lifecycle import EventKind
from bot.render import summary as blocks
from bot.store.stats import funnel_stats

STUDENT = "Hi! I'm a student writing my thesis on AP automation."


def reply(slack, leadbot, lead, text: str, user: str = MARKETER) -> None:
    answer = slack.message_event(text, user=user, thread_ts=lead.intake_ts)
    assert slack.event(answer).status == 200
    leadbot.worker.wait_until_idle()


def latest_summary(fake_slack, lead) -> list[dict]:
    updates = [c for c in fake_slack.calls("chat.update") if c.body["ts"] == lead.ts]
    return updates[-1].body["blocks"]


def dms(fake_slack, user: str) -> list[str]:
    return [
        c.body["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.body["channel"] == user and "thread_ts" not in c.body
    ]


def claim(slack, leadbot, lead, rep: str = "UREP1") -> None:
    assert slack.click(blocks.ACTION_CLAIM, lead.id, rep, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()


def test_a_knockout_found_later_ends_the_claim_tells_the_claimer_and_keeps_stats_whole(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo)
    claim(slack, leadbot, lead)

    reply(slack, leadbot, lead, "Update: turns out I'm a student, this is for my thesis.")

    stored = repo.get_lead(lead.id)
    assert (stored.status, stored.claimed_by) == ("disqualified", None)
    summary = latest_summary(fake_slack, lead)
    assert summary[0]["text"]["text"].startswith("🚫 Disqualified · ")
    assert action_ids(summary) == []  # no Claim, no Release
    [told] = dms(fake_slack, "UREP1")
    assert "your claim has ended" in told and "Student or academic research" in told
    notice = thread_replies(fake_slack, INTAKE, lead.intake_ts)[-1]
    assert "Taken off sales" in notice
    week = funnel_stats(repo).windows[0]
    assert (week.claimed, week.claimable) == (0, 0)  # never "Claimed 1 of 0"

    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP2", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(lead.id).claimed_by is None


def test_replies_from_strangers_and_chit_chat_change_nothing(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    posted = len(fake_slack.calls("chat.postMessage"))

    reply(slack, leadbot, lead, "I'm a student writing my thesis", user="USTRANGER")
    reply(slack, leadbot, lead, "thanks! :tada:")
    reply(slack, leadbot, lead, "ok, will ping Dana tomorrow", user="UREP9")

    assert repo.get_lead(lead.id).status == "posted"
    assert repo.count_qualifications(lead.id) == 1
    assert repo.events(lead.id, EventKind.ANSWERED) == []
    assert len(fake_slack.calls("chat.postMessage")) == posted  # no re-posted questions
    assert fake_slack.calls("chat.update") == []


def test_a_correction_replaces_the_earlier_answer_and_the_summary_says_who(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo, COLD_LEAD)
    reply(slack, leadbot, lead, "Budget is $60,000.")
    claim(slack, leadbot, lead)
    reply(slack, leadbot, lead, "Correction: budget is only 5k", user="UREP1")  # the claimer

    budget = next(c for c in repo.latest_qualification(lead.id).criteria if c.id == "budget")
    assert (budget.value, budget.evidence) == (5000, "budget is only 5k")
    text = block_text(latest_summary(fake_slack, lead))
    assert "Budget*: 5,000 · 5/25 pts · _urep1 in the thread_" in text
    assert "• umkt: Budget is $60,000." in text and "• urep1: Correction: budget is only 5k" in text


def test_not_a_knockout_by_the_marketer_posts_the_lead_and_records_who(
    slack, leadbot, fake_slack, repo
):
    event = slack.message_event(STUDENT + " We are a 300-person firm with a 50k budget.")
    slack.event(event)
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(INTAKE, event["ts"])
    assert stored.status == "disqualified" and summaries(fake_slack) == []
    knockout_reply = [
        c for c in fake_slack.calls("chat.postMessage") if c.body.get("thread_ts") == event["ts"]
    ][-1]
    assert action_ids(knockout_reply.body["blocks"]) == [blocks.ACTION_NOT_KNOCKOUT]

    slack.click(blocks.ACTION_NOT_KNOCKOUT, stored.id, "USTRANGER", INTAKE, event["ts"])
    leadbot.worker.wait_until_idle()
    [refused] = fake_slack.calls("chat.postEphemeral")
    assert "Only the person who submitted the lead or a manager" in refused.body["text"]
    assert summaries(fake_slack) == []

    slack.click(blocks.ACTION_NOT_KNOCKOUT, stored.id, MARKETER, INTAKE, event["ts"])
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(stored.id).status == "posted"
    assert repo.latest_event(stored.id, EventKind.KNOCKOUT_OVERRIDDEN).actor == MARKETER
    [summary] = summaries(fake_slack)
    assert action_ids(summary.body["blocks"]) == [blocks.ACTION_CLAIM, blocks.ACTION_DISQUALIFY]
    assert "not a knockout" in thread_replies(fake_slack, INTAKE, event["ts"])[-1]

    reply_again = slack.message_event("More: budget is 80k", thread_ts=event["ts"])
    slack.event(reply_again)
    leadbot.worker.wait_until_idle()
    assert repo.get_lead(stored.id).status == "posted"  # the override holds on re-qualifying


def test_a_manager_can_answer_not_a_knockout_in_the_thread(slack, leadbot, fake_slack, repo):
    event = slack.message_event(STUDENT)
    slack.event(event)
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(INTAKE, event["ts"])
    answer = slack.message_event("Not a knockout: she runs AP", user=MANAGER, thread_ts=event["ts"])
    slack.event(answer)
    leadbot.worker.wait_until_idle()
    assert repo.latest_event(stored.id, EventKind.KNOCKOUT_OVERRIDDEN).actor == MANAGER
    assert len(summaries(fake_slack)) == 1


def edit_event(slack, channel: str, ts: str, text: str, user: str = MARKETER) -> dict:
    """Slack's `message_changed`: the message as it is now, and as it was."""
    base = load_payload("events/event_callback_message_channel.json")["event"]
    now = copy.deepcopy(base)
    now.update(text=text, user=user, ts=ts, edited={"user": user, "ts": slack.next_ts()})
    event_ts = slack.next_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": event_ts,
        "event_ts": event_ts,
        "message": now,
        "previous_message": copy.deepcopy(base) | {"ts": ts},
        "channel_type": "channel",
    }


def test_an_edit_requalifies_and_updates_the_summary_in_place(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo, COLD_LEAD)
    before = repo.latest_qualification(lead.id)
    edited = COLD_LEAD + " Budget is $60,000, CFO signs, go-live next month."
    assert slack.event(edit_event(slack, INTAKE, lead.intake_ts, edited)).status == 200
    leadbot.worker.wait_until_idle()

    assert repo.get_lead(lead.id).lead.text == edited
    after = repo.latest_qualification(lead.id)
    assert after.score > before.score
    summary = latest_summary(fake_slack, lead)
    assert f"{after.score}/100" in summary[0]["text"]["text"]
    assert "Edited by umkt" in block_text(summary)
    assert len(summaries(fake_slack)) == 1  # updated, not posted again

    unchanged = edit_event(slack, INTAKE, lead.intake_ts, edited)  # e.g. a reply_count change
    slack.event(unchanged)
    leadbot.worker.wait_until_idle()
    assert repo.count_qualifications(lead.id) == 2


def test_a_deleted_intake_message_withdraws_the_lead(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    claim(slack, leadbot, lead)
    ts = slack.next_ts()
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": INTAKE,
        "ts": ts,
        "event_ts": ts,
        "deleted_ts": lead.intake_ts,
        "previous_message": {"type": "message", "user": MARKETER, "text": WARM_LEAD},
    }
    assert slack.event(deleted).status == 200
    leadbot.worker.wait_until_idle()

    assert (repo.get_lead(lead.id).status, repo.get_lead(lead.id).claimed_by) == (
        "withdrawn",
        None,
    )
    summary = latest_summary(fake_slack, lead)
    assert summary[0]["text"]["text"].startswith("🗑️ Withdrawn · ")
    assert action_ids(summary) == []
    assert "was withdrawn" in dms(fake_slack, "UREP1")[0]


def test_a_managers_release_is_told_to_the_claimer_and_the_claimer_can_disqualify(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo)
    claim(slack, leadbot, lead)
    assert action_ids(latest_summary(fake_slack, lead)) == CLAIMED_ACTIONS
    slack.click(blocks.ACTION_RELEASE, lead.id, MANAGER, lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    [told] = dms(fake_slack, "UREP1")
    assert f"<@{MANAGER}> released your claim" in told and "Dana Whitfield" in told

    claim(slack, leadbot, lead, "UREP2")
    slack.click(blocks.ACTION_DISQUALIFY, lead.id, "UREP2", lead.channel, lead.ts)
    [opened] = fake_slack.wait_for("views.open")
    assert opened.body["view"]["callback_id"] == blocks.CALLBACK_DISQUALIFY_MODAL


def test_a_message_with_no_lead_signal_gets_a_qualify_button_instead_of_a_summary(
    slack, leadbot, fake_slack, repo
):
    chat = slack.message_event("ok thanks everyone :wave:")
    slack.event(chat)
    leadbot.worker.wait_until_idle()
    assert summaries(fake_slack) == []
    assert fake_slack.calls("reactions.add") == []
    [offer] = [
        c for c in fake_slack.calls("chat.postMessage") if c.body.get("thread_ts") == chat["ts"]
    ]
    assert action_ids(offer.body["blocks"]) == [blocks.ACTION_CONFIRM_LEAD]
    stored = repo.find_by_intake(INTAKE, chat["ts"])

    slack.click(blocks.ACTION_CONFIRM_LEAD, stored.id, MARKETER, INTAKE, chat["ts"])
    slack.click(blocks.ACTION_CONFIRM_LEAD, stored.id, MARKETER, INTAKE, chat["ts"])  # double
    leadbot.worker.wait_until_idle()
    assert len(summaries(fake_slack)) == 1
    assert repo.latest_event(stored.id, EventKind.CONFIRMED).actor == MARKETER


def test_a_message_edited_into_a_lead_is_posted(slack, leadbot, fake_slack, repo):
    chat = slack.message_event("lead incoming :eyes:")
    slack.event(chat)
    leadbot.worker.wait_until_idle()
    assert summaries(fake_slack) == []

    slack.event(edit_event(slack, INTAKE, chat["ts"], WARM_LEAD))
    leadbot.worker.wait_until_idle()
    [summary] = summaries(fake_slack)
    assert "Dana Whitfield" in block_text(summary.body["blocks"])
