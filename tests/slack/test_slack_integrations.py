"""Leads as real workspaces send them: integrations' posts (HubSpot attachments, Workflow
Builder blocks), thread broadcasts, a screenshot beside a lead's text, partial file objects
and CSV files saved by Excel on Windows."""

from __future__ import annotations

import copy

import pytest
from fakes.slack_api import BOT_ID, BOT_USER_ID
from slack_helpers import (
    INTAKE,
    MARKETER,
    WARM_LEAD,
    block_text,
    drop_lead,
    load_payload,
    summaries,
    thread_replies,
)

HUBSPOT = "BHUBSPOT"
WORKFLOW_APP = "AWORKFLOW"


@pytest.fixture
def slack_settings(slack_settings):
    """Integrations listed by bot id and by app id, and (a slip) leadbot's own bot id."""
    bots = f"{HUBSPOT},{WORKFLOW_APP},{BOT_ID}"
    return slack_settings.model_copy(update={"intake_bots": bots})


def bot_post(slack, *, bot_id: str, text: str = "", **fields) -> dict:
    """An integration's post, shaped like Slack's `bot_message` (legacy integrations) or a
    Slack app's message (`bot_id`, `app_id`, `bot_profile`)."""
    event = copy.deepcopy(load_payload("events/event_callback_message_channel.json")["event"])
    ts = slack.next_ts()
    for key in ("user", "client_msg_id", "blocks"):
        event.pop(key, None)
    event.update(channel=INTAKE, ts=ts, event_ts=ts, text=text, bot_id=bot_id, **fields)
    return event


HUBSPOT_POST = {
    "subtype": "bot_message",
    "username": "HubSpot",
    "attachments": [
        {
            "fallback": "New form submission: Contact sales",
            "pretext": "New form submission on *Contact sales*",
            "title": "Dana Whitfield submitted Contact sales",
            "text": "Our AP approvals are stuck in email; we want a demo and a decision "
            "next month.",
            "fields": [
                {"title": "Name", "value": "Dana Whitfield", "short": True},
                {"title": "Company", "value": "Globex Freight", "short": True},
                {"title": "Job Title", "value": "CFO", "short": True},
                {"title": "Budget", "value": "$50,000", "short": True},
            ],
        }
    ],
}

WORKFLOW_POST = {
    "app_id": WORKFLOW_APP,
    "bot_profile": {"id": "B0WF", "name": "Workflow Builder", "app_id": WORKFLOW_APP},
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*New lead from the website*"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Name*\nPriya Nair"},
                {"type": "mrkdwn", "text": "*Company*\nAcme Corp"},
                {"type": "mrkdwn", "text": "*Title*\nVP Finance"},
                {"type": "mrkdwn", "text": "*Budget*\n80k approved"},
            ],
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [{"type": "text", "text": "Wants to start this quarter."}],
                }
            ],
        },
    ],
}


def test_an_integration_post_is_a_lead_read_from_its_attachments_with_form_fields(
    slack, leadbot, fake_slack, repo
):
    post = bot_post(slack, bot_id=HUBSPOT, text="New form submission", **HUBSPOT_POST)
    assert slack.event(post).status == 200
    stored = repo.find_by_intake(INTAKE, post["ts"])
    assert stored is not None
    assert stored.lead.fields["Company"] == "Globex Freight"
    assert stored.lead.fields["Budget"] == "$50,000"
    assert "AP approvals are stuck in email" in stored.lead.text
    assert stored.lead.submitted_by == "HubSpot"

    leadbot.worker.wait_until_idle()
    [summary] = summaries(fake_slack)
    assert "Dana Whitfield, Globex Freight" in summary.body["text"]
    qualification = repo.latest_qualification(stored.id)
    budget = next(c for c in qualification.criteria if c.id == "budget")
    assert budget.value == 50000 and budget.source == "field"
    assert "<@HubSpot>" not in block_text(summary.body["blocks"])
    assert thread_replies(fake_slack, INTAKE, post["ts"])  # answered in the post's thread


def test_a_workflow_builder_post_is_read_from_its_blocks(slack, leadbot, fake_slack, repo):
    post = bot_post(slack, bot_id="B0WF", text="New lead from the website", **WORKFLOW_POST)
    assert slack.event(post).status == 200
    stored = repo.find_by_intake(INTAKE, post["ts"])
    assert stored is not None
    assert stored.lead.fields == {
        "Name": "Priya Nair",
        "Company": "Acme Corp",
        "Title": "VP Finance",
        "Budget": "80k approved",
    }
    assert "Wants to start this quarter." in stored.lead.text
    assert stored.lead.submitted_by == "Workflow Builder"


def test_our_own_posts_are_never_leads_even_when_listed(slack, leadbot, fake_slack, repo):
    own = bot_post(slack, bot_id=BOT_ID, text=WARM_LEAD, user=BOT_USER_ID)
    own_legacy = bot_post(slack, bot_id=BOT_ID, text=WARM_LEAD, subtype="bot_message")
    for event in (own, own_legacy):
        assert slack.event(event).status == 200
    assert repo.recent_leads(5) == []
    assert len(fake_slack.calls("auth.test")) == 1  # asked once, then cached


def test_unlisted_bots_are_not_leads(slack, leadbot, fake_slack, repo):
    other = bot_post(slack, bot_id="BOTHER", text=WARM_LEAD, subtype="bot_message")
    assert slack.event(other).status == 200
    assert repo.recent_leads(5) == []


def test_a_thread_broadcast_is_an_answer_in_the_thread(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo, "Bob from Initech wants to fix their reporting.")
    broadcast = slack.message_event(
        "Budget is $60,000 and we need it live next month.",
        thread_ts=lead.intake_ts,
        subtype="thread_broadcast",
    )
    assert slack.event(broadcast).status == 200
    leadbot.worker.wait_until_idle()
    assert repo.count_qualifications(lead.id) == 2
    assert repo.find_by_intake(INTAKE, broadcast["ts"]) is None  # not a lead of its own
    budget = next(c for c in repo.latest_qualification(lead.id).criteria if c.id == "budget")
    assert budget.value == 60000


def file_share(slack, fake_slack, text: str, **file) -> dict:
    event = copy.deepcopy(load_payload("events/event_callback_message_file_share.json")["event"])
    ts = slack.next_ts()
    event.update(channel=INTAKE, user=MARKETER, ts=ts, event_ts=ts, text=text)
    event["files"][0].update(file)
    return event


def test_a_screenshot_shared_with_the_lead_text_is_a_lead_from_the_text(
    slack, leadbot, fake_slack, repo
):
    event = file_share(slack, fake_slack, WARM_LEAD)  # the payload's file is a PNG
    assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(INTAKE, event["ts"])
    assert stored is not None and "Dana Whitfield" in stored.lead.text
    assert len(summaries(fake_slack)) == 1
    assert fake_slack.calls("file_download") == []
    assert not any("could not read" in t for t in thread_replies(fake_slack, INTAKE, event["ts"]))


def row_summaries(fake_slack) -> list:
    """Summaries of a CSV file's rows: on their own (the top tier) or in the digest's thread."""
    return [c for c in fake_slack.calls("chat.postMessage") if "blocks" in c.body]


def test_a_partial_file_object_is_completed_with_files_info(slack, leadbot, fake_slack, repo):
    csv = "Name,Company,Notes\nDana Whitfield,Globex,CFO with a 50k budget\n".encode("cp1252")
    url = fake_slack.set_file("/files-pri/T111-F9/download/leads.csv", csv)
    fake_slack.set_file_info(
        "F9", name="leads.csv", filetype="csv", size=len(csv), url_private_download=url
    )
    event = file_share(slack, fake_slack, "")
    event["files"] = [{"id": "F9", "mode": "hidden_by_limit", "file_access": "check_file_info"}]
    assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()
    [info] = fake_slack.calls("files.info")
    assert info.body["file"] == "F9"
    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    assert "1 lead" in reply
    assert len(row_summaries(fake_slack)) == 1


def test_an_excel_csv_in_windows_1252_is_read_not_refused(slack, leadbot, fake_slack, repo):
    csv = "Name,Company,Notes\nRenée Müller,Zürich Re,“CFO” – 50k budget\n".encode("cp1252")
    url = fake_slack.set_file("/files-pri/T111-F7/download/excel.csv", csv)
    event = file_share(
        slack,
        fake_slack,
        "",
        id="F7",
        name="excel.csv",
        filetype="csv",
        size=len(csv),
        url_private=url,
        url_private_download=url,
    )
    assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()
    [stored] = repo.recent_leads(5)
    assert stored.lead.fields["Name"] == "Renée Müller"
    assert "Renée Müller, Zürich Re" in row_summaries(fake_slack)[0].body["text"]
