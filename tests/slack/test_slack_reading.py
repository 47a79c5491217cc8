"""What people read: state in the header, titles, names instead of ids, no internal words,
lead text that cannot ping anyone, DM replies that name the lead, help, stats wording, and
a /lead whose trigger expired."""

from __future__ import annotations

import logging

from slack_helpers import (
    INTAKE,
    MARKETER,
    WARM_LEAD,
    block_text,
    drop_lead,
    summaries,
    view_submission,
)

from bot.render import summary as blocks


def test_lead_text_shows_names_not_ids_cannot_ping_and_has_no_internal_words(
    slack, leadbot, fake_slack, repo
):
    fake_slack.set_user("U0BOSS", profile={"display_name": "Ada Boss"})
    lead = drop_lead(
        slack, leadbot, repo, "Hi team,\nNew lead :rocket:\n" + WARM_LEAD + " cc <@U0BOSS> <!here>"
    )
    [summary] = summaries(fake_slack)
    posted = summary.body["blocks"]
    text = block_text(posted)
    assert posted[0]["text"]["text"].endswith("· New lead :rocket:")  # not "Hi team,"
    assert "@Ada Boss" in text and "U0BOSS" not in text
    assert "<!here>" not in text and "@\u200bhere" in text  # neutralised
    quoted = next(b for b in posted if "Lead as received" in b.get("text", {}).get("text", ""))
    assert quoted["text"]["verbatim"] is True
    for internal in ("slack_modal", "slack_csv", "Source: slack", "1ad548f5325e", "· offline"):
        assert internal not in text
    assert "Posted in an intake channel by umkt" in text
    assert repo.get_lead(lead.id).lead.text.endswith("@U0BOSS @here")  # evidence stays verbatim


def test_a_title_without_name_or_company_is_not_repeated_under_the_header(
    slack, leadbot, fake_slack, repo
):
    drop_lead(slack, leadbot, repo, "Hello! Acme wants a demo next month. Budget is 50k.")
    [summary] = summaries(fake_slack)
    header, second = summary.body["blocks"][:2]
    assert header["text"]["text"].endswith("· Acme wants a demo next month.")
    assert "Acme wants a demo next month." not in second.get("text", {}).get("text", "")


def test_the_dm_reply_for_a_lead_form_names_the_lead(slack, leadbot, fake_slack, repo):
    typed = {"Name": "Dana Whitfield", "Company": "Globex", "Notes": "CFO, 50k budget"}
    submission = view_submission(
        blocks.CALLBACK_LEAD_MODAL,
        {field: {blocks.ACTION_FIELD: value} for field, value in typed.items()},
        user=MARKETER,
    )
    assert slack.interaction(submission).status == 200
    leadbot.worker.wait_until_idle()
    [dm] = [c for c in fake_slack.calls("chat.postMessage") if c.body["channel"] == MARKETER]
    assert "*Dana Whitfield, Globex*" in dm.body["text"]


def test_a_webhook_submitter_that_is_no_slack_id_is_not_rendered_as_a_mention(
    leadbot, fake_slack, repo
):
    from qualifiers.models import Lead

    leadbot.services.receive.receive(
        Lead(text=WARM_LEAD, source="webhook:hubspot", submitted_by="HUBSPOT"), dedupe_key="h1"
    )
    leadbot.worker.wait_until_idle()
    [summary] = summaries(fake_slack)
    text = block_text(summary.body["blocks"])
    assert "<@HUBSPOT>" not in text and "From a web form (hubspot) by HUBSPOT" in text


def test_help_lists_every_way_to_send_a_lead(slack, leadbot):
    reply = slack.command("/leadbot", "help")
    for way in ("intake channel", "/lead", "Qualify as lead", "CSV", "thread", "webhook"):
        assert way in reply.body


def test_an_expired_trigger_on_lead_tells_the_user_without_a_traceback(
    slack, leadbot, fake_slack, caplog
):
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    with caplog.at_level(logging.WARNING):
        assert slack.command("/lead").status == 200
        fake_slack.wait_for("views.open")
        leadbot.worker.wait_until_idle()
        [told] = fake_slack.wait_for("chat.postEphemeral")
    assert "run `/lead` again" in told.body["text"]
    assert (told.body["user"], told.body["channel"]) == (MARKETER, INTAKE)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
