"""Follow-up answers, the /lead modal and the "Qualify as lead" shortcut."""

from __future__ import annotations

from slack_helpers import (
    CLAIMED_ACTIONS,
    COLD_LEAD,
    INTAKE,
    MARKETER,
    WARM_LEAD,
    action_ids,
    block_text,
    drop_lead,
    load_payload,
    summaries,
    thread_replies,
    view_submission,
)

from bot.domain.lifecycle import EventKind
from bot.render import summary as blocks

ANSWERS = "Budget is $60,000 and we need it live next month. I'm the CFO."


def test_thread_answers_requalify_and_update_the_summary_keeping_the_claim(
    slack, leadbot, fake_slack, repo
):
    lead = drop_lead(slack, leadbot, repo, COLD_LEAD)
    before = repo.latest_qualification(lead.id)
    assert {"budget", "timeline"} <= set(before.missing)
    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()

    answer = slack.message_event(ANSWERS, thread_ts=lead.intake_ts)
    assert slack.event(answer, event_id="EvANSWER").status == 200
    assert slack.event(answer, event_id="EvANSWER", retry_num=1).status == 200
    leadbot.worker.wait_until_idle()

    after = repo.latest_qualification(lead.id)
    assert repo.count_qualifications(lead.id) == 2
    assert after.score > before.score and "budget" not in after.missing
    [answered] = repo.events(lead.id, EventKind.ANSWERED)  # the retried event added nothing
    assert (answered.actor, answered.data["text"]) == (MARKETER, ANSWERS)
    assert repo.get_lead(lead.id).lead.text == COLD_LEAD  # the marketer's words stay theirs
    latest = [c for c in fake_slack.calls("chat.update") if c.body["ts"] == lead.ts][-1]
    text = block_text(latest.body["blocks"])
    assert f"*Answers in the thread*\\n• umkt: {ANSWERS}" in text  # who said what
    assert "Budget*: 60,000 · 25/25 pts · _umkt in the thread_" in text
    assert f"{after.score}/100" in text
    assert "Claimed by <@UREP1>" in text
    assert action_ids(latest.body["blocks"]) == CLAIMED_ACTIONS
    assert any("re-qualified" in t for t in thread_replies(fake_slack, INTAKE, lead.intake_ts))
    assert len(summaries(fake_slack)) == 1


def test_lead_command_opens_a_modal_whose_submission_becomes_a_lead(
    slack, leadbot, fake_slack, repo
):
    assert slack.command("/lead").status == 200
    [opened] = fake_slack.wait_for("views.open")
    command = load_payload("commands/slash_command.form_fields.json")
    assert opened.body["trigger_id"] == command["trigger_id"]
    modal = opened.body["view"]
    inputs = [b["block_id"] for b in modal["blocks"]]
    assert {"Name", "Company", "Email", "Title", "Notes", "Budget", "Timeline"} <= set(inputs)

    typed = {
        "Name": "Dana Whitfield",
        "Company": "Globex",
        "Title": "CFO",
        "Budget": "$80,000",
        "Notes": "AP approvals stuck in email; decision next month",
    }
    submission = view_submission(
        modal["callback_id"],
        {field: {blocks.ACTION_FIELD: value} for field, value in typed.items()},
        user=MARKETER,
    )
    assert slack.interaction(submission).status == 200
    stored = repo.find_by_dedupe_key(f"slack_view:{submission['view']['id']}")
    assert stored is not None
    assert stored.lead.fields["Company"] == "Globex" and "AP approvals" in stored.lead.text
    leadbot.worker.wait_until_idle()

    [summary] = summaries(fake_slack)
    assert "Dana Whitfield, Globex" in summary.body["text"]
    dm_channel, dm_ts = repo.slack_message(stored.id, "thread")
    assert dm_channel == MARKETER  # the bot's DM with the marketer
    answer = slack.message_event("We have 250 employees.", channel=dm_channel, thread_ts=dm_ts)
    answer["channel_type"] = "im"
    slack.event(answer)
    leadbot.worker.wait_until_idle()
    assert repo.count_qualifications(stored.id) == 2
    [answered] = repo.events(stored.id, EventKind.ANSWERED)
    assert answered.data["text"] == "We have 250 employees."


def test_message_shortcut_turns_any_message_into_one_lead(slack, leadbot, fake_slack, repo):
    payload = load_payload("interactivity/shortcut_message.json")
    payload["callback_id"] = blocks.SHORTCUT_QUALIFY
    payload["user"]["id"] = MARKETER
    payload["channel"]["id"] = "CGENERAL"
    payload["message"]["text"] = (
        WARM_LEAD.replace("&", "&amp;") + " Mail <mailto:dana@globex.com|dana@globex.com>"
    )
    assert slack.interaction(payload).status == 200
    stored = repo.find_by_intake("CGENERAL", payload["message_ts"])
    assert stored is not None and stored.lead.source == "slack_shortcut"
    assert "Mail dana@globex.com" in stored.lead.text
    leadbot.worker.wait_until_idle()
    assert len(summaries(fake_slack)) == 1

    assert slack.interaction(payload).status == 200  # the same message again
    leadbot.worker.wait_until_idle()
    assert len(summaries(fake_slack)) == 1
    [again] = fake_slack.calls("chat.postEphemeral")
    assert f"already lead {stored.id}" in again.body["text"]
