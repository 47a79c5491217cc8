"""Leads dropped in Slack: messages, retries, what is not a lead, bad requests."""

from __future__ import annotations

from slack_helpers import (
    COLD_LEAD,
    HOT_CHANNEL,
    INTAKE,
    MARKETER,
    ROUTED_CHANNEL,
    SALES,
    WARM_LEAD,
    action_ids,
    block_text,
    summaries,
    thread_replies,
)

from bot.render import summary as blocks


def test_dropped_lead_is_stored_before_ack_then_summarised_in_the_routed_channel(
    slack, leadbot, fake_slack, repo
):
    warm = slack.message_event(WARM_LEAD)
    reply = slack.event(warm)
    assert reply.status == 200
    stored = repo.find_by_intake(INTAKE, warm["ts"])
    assert stored is not None and stored.lead.submitted_by == MARKETER

    leadbot.worker.wait_until_idle()
    [reaction] = fake_slack.calls("reactions.add")
    assert (reaction.body["channel"], reaction.body["timestamp"]) == (INTAKE, warm["ts"])
    [summary] = summaries(fake_slack)
    qualification = repo.latest_qualification(stored.id)
    routed = {"hot": HOT_CHANNEL, "warm": ROUTED_CHANNEL}[qualification.tier]
    assert summary.body["channel"] == routed  # the test rubric routes hot and warm leads
    assert f"{qualification.tier.capitalize()} lead" in summary.body["text"]
    text = block_text(summary.body["blocks"])
    assert "Budget" in text and ">" in text and "50k budget" in text
    assert action_ids(summary.body["blocks"]) == [blocks.ACTION_CLAIM, blocks.ACTION_DISQUALIFY]
    assert summary.body["blocks"][-1]["elements"][0]["value"] == str(stored.id)
    assert repo.slack_message(stored.id, "summary")[0] == routed
    assert repo.get_lead(stored.id).status == "posted"

    [intake_reply] = thread_replies(fake_slack, INTAKE, warm["ts"])
    assert f"{qualification.score}/100" in intake_reply
    assert f"archives/{routed}/p" in intake_reply  # permalink to the summary

    cold = slack.message_event(COLD_LEAD, channel="CINTAKE2")
    assert slack.event(cold).status == 200
    leadbot.worker.wait_until_idle()
    [cold_summary] = summaries(fake_slack, SALES)
    assert "Cold" in cold_summary.body["text"]


def test_missing_answers_are_asked_in_the_thread(slack, leadbot, fake_slack, default_rubric):
    cold = slack.message_event(COLD_LEAD)
    slack.event(cold)
    leadbot.worker.wait_until_idle()
    [reply] = thread_replies(fake_slack, INTAKE, cold["ts"])
    assert default_rubric.criterion("budget").question in reply
    assert default_rubric.criterion("timeline").question in reply


def test_knocked_out_lead_is_not_posted_and_the_marketer_gets_the_reason(
    slack, leadbot, fake_slack, repo
):
    student = slack.message_event("Hi! I'm a student writing my thesis on AP automation.")
    slack.event(student)
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(INTAKE, student["ts"])
    assert stored.status == "disqualified"
    assert summaries(fake_slack) == []
    [reply] = thread_replies(fake_slack, INTAKE, student["ts"])
    assert "Not posted to sales" in reply and "Student or academic research" in reply
    assert ">I'm a student" in reply  # the evidence, quoted


def test_redelivered_events_create_one_lead(slack, leadbot, fake_slack, repo):
    event = slack.message_event(WARM_LEAD)
    first = slack.event(event, event_id="EvSAME")
    retried = slack.event(event, event_id="EvSAME", retry_num=1)
    redelivered = slack.event(event, event_id="EvOTHER")
    assert [first.status, retried.status, redelivered.status] == [200, 200, 200]
    leadbot.worker.wait_until_idle()
    assert len(summaries(fake_slack)) == 1
    assert len(fake_slack.calls("reactions.add")) == 1
    assert repo.count_qualifications() == 1


def test_bot_messages_edits_other_channels_and_stray_replies_are_not_leads(
    slack, leadbot, fake_slack, repo
):
    ts = slack.next_ts()
    not_leads = [
        slack.message_event(WARM_LEAD, bot_id="B999", subtype="bot_message"),
        slack.message_event(WARM_LEAD, subtype="message_changed"),
        slack.message_event(WARM_LEAD, channel="CRANDOM"),
        slack.message_event(WARM_LEAD, thread_ts=ts),  # a reply to a message that is no lead
    ]
    for event in not_leads:
        assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()
    assert repo.find_by_intake(INTAKE, not_leads[0]["ts"]) is None
    assert leadbot.worker.queue.pending() == 0
    assert fake_slack.calls("chat.postMessage") == []
    assert fake_slack.calls("reactions.add") == []


def test_bad_signature_is_refused_and_stores_nothing(slack, leadbot, repo):
    import json

    from slack_helpers import load_payload

    body = load_payload("events/event_callback_message_channel.json")
    body["event"] = slack.message_event(WARM_LEAD)
    reply = slack.post(json.dumps(body), "application/json", signature="v0=" + "0" * 64)
    assert reply.status == 401
    assert repo.find_by_intake(INTAKE, body["event"]["ts"]) is None


def test_malformed_payloads_get_a_clear_400_and_store_nothing(slack, leadbot, repo, fake_slack):
    not_json = slack.post("{this is not json", "application/json")
    assert not_json.status == 400 and "malformed_payload" in not_json.body

    bad_form = slack.post("payload=%7Bnope", "application/x-www-form-urlencoded")
    assert bad_form.status == 400

    no_channel = slack.message_event(WARM_LEAD)
    del no_channel["channel"]
    missing = slack.event(no_channel)
    assert missing.status == 400 and "channel" in missing.body

    click = slack.click(blocks.ACTION_CLAIM, "not-a-lead-id", "UREP", SALES, "1.000001")
    assert click.status == 400 and "value" in click.body

    command = slack.post("token=x&command=%2Flead", "application/x-www-form-urlencoded")
    assert command.status == 400 and "trigger_id" in command.body

    assert leadbot.worker.queue.pending() == 0
    assert repo.count_qualifications() == 0
    assert fake_slack.calls("chat.postMessage") == []
