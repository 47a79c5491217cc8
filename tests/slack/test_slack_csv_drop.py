"""CSV drops: a .csv shared in an intake channel becomes one lead per row."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest
import yaml
from slack_helpers import (
    COLD_LEAD,
    HOT_CHANNEL,
    INTAKE,
    MARKETER,
    SALES,
    FileHost,
    load_payload,
    summaries,
    thread_replies,
)

from bot.domain.lifecycle import LeadSource
from bot.render.drops import ACTION_CONFIRM_DROP
from bot.services.gateway import DeliveryError, FileRefused
from bot.slack.gateway import WebApiGateway, build_web_client

LEADS_CSV = (
    "Name,Company,Notes\n"
    '"Dana Whitfield","Globex Freight","CFO, ~300 ppl, 50k budget. pain: AP approvals stuck '
    'in email. wants demo + decision next month."\n'
    f'"Bob","Initech","{COLD_LEAD}"\n'
    '"Priya Nair","Acme Corp","VP Finance, 1200 employees, budget approved 80k, wants to '
    'start this quarter"\n'
)
BAD_ROW_CSV = (
    "Name,Company,Notes\n"
    '"Dana Whitfield","Globex Freight","CFO, 300 ppl, 50k budget"\n'
    "Bob,Initech,wants to fix reporting, soon, maybe\n"
    '"Priya Nair","Acme Corp","VP Finance, budget approved 80k"\n'
)


def digests(fake_slack, channel: str = SALES) -> list[dict]:
    """A CSV drop's digests: top-level messages without blocks in the sales channel."""
    return [
        message
        for message in fake_slack.messages(channel)
        if "blocks" not in message and "thread_ts" not in message
    ]


def lead_summaries(fake_slack) -> list:
    """Every lead summary posted, on its own or in a digest's thread."""
    return [
        call
        for call in fake_slack.calls("chat.postMessage")
        if "blocks" in call.body and call.body["channel"] != INTAKE
    ]


def digest_thread(fake_slack, digest: dict, channel: str = SALES) -> list[dict]:
    """The lead summaries posted in a digest's thread."""
    return [
        message
        for message in fake_slack.messages(channel)
        if message.get("thread_ts") == digest["ts"] and "blocks" in message
    ]


def file_share_event(
    slack,
    fake_slack,
    content: bytes,
    *,
    name: str = "leads.csv",
    filetype: str = "csv",
    file_id: str = "F100",
    channel: str = INTAKE,
    **file_fields,
) -> dict:
    """A marketer shares a file with a comment, shaped like Slack's file_share message."""
    event = copy.deepcopy(load_payload("events/event_callback_message_file_share.json")["event"])
    ts = slack.next_ts()
    event.update(channel=channel, user=MARKETER, ts=ts, event_ts=ts, text="from the webinar")
    url = fake_slack.set_file(f"/files-pri/T111-{file_id}/download/{name}", content)
    event["files"][0].update(
        id=file_id,
        name=name,
        title=name,
        filetype=filetype,
        mimetype="text/csv" if filetype == "csv" else event["files"][0]["mimetype"],
        size=len(content),
        url_private=url,
        url_private_download=url,
    )
    event["files"][0].update(file_fields)
    return event


def share(slack, leadbot, event: dict, **delivery) -> None:
    assert slack.event(event, **delivery).status == 200
    leadbot.worker.wait_until_idle()


def test_each_row_becomes_a_lead_and_the_marketer_gets_one_reply(
    slack, leadbot, fake_slack, repo, monkeypatch
):
    qualifier = leadbot.services.qualify.qualifier
    batches = []
    qualify_many = qualifier.qualify_many
    monkeypatch.setattr(
        qualifier,
        "qualify_many",
        lambda leads, rubric: batches.append(len(leads)) or qualify_many(leads, rubric),
    )
    event = file_share_event(slack, fake_slack, LEADS_CSV.encode())
    share(slack, leadbot, event)

    [download] = fake_slack.calls("file_download")
    assert download.token == "xoxb-test-token"
    leads = sorted(repo.recent_leads(10), key=lambda stored: stored.id)
    assert [stored.lead.fields["Name"] for stored in leads] == [
        "Dana Whitfield",
        "Bob",
        "Priya Nair",
    ]
    assert {(s.lead.source, s.lead.submitted_by, s.intake_ts) for s in leads} == {
        (LeadSource.SLACK_CSV, MARKETER, event["ts"])
    }
    assert batches == [3]  # qualified together, not one by one
    assert repo.count_qualifications() == 3

    tiers = Counter(repo.latest_qualification(stored.id).tier for stored in leads)
    assert tiers == {"hot": 2, "cold": 1}
    [digest] = digests(fake_slack)
    assert digest["text"].startswith(f"📄 `leads.csv` from <@{MARKETER}>: 3 leads (hot 2, cold 1)")
    # hot rows are posted on their own (to their routed channel), the cold one in the thread
    posted = summaries(fake_slack)
    assert [summary.body["channel"] for summary in posted] == [HOT_CHANNEL, HOT_CHANNEL]
    assert all("From a CSV file by umkt" in str(summary.body["blocks"]) for summary in posted)
    [in_thread] = digest_thread(fake_slack, digest)
    assert "From a CSV file by umkt" in str(in_thread["blocks"]) and "Initech" in in_thread["text"]
    assert not any(
        "slack_csv" in str(message["blocks"]) for message in [*(p.body for p in posted), in_thread]
    )

    assert thread_replies(fake_slack, INTAKE, event["ts"]) == [
        "📄 `leads.csv`: 3 leads received (hot 2, cold 1)."
    ]
    # no per-lead chatter: no DM thread, no replies beyond the one above
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.body["channel"] == MARKETER]
    assert len(fake_slack.calls("chat.postMessage")) == 1 + 3 + 1


def test_redelivery_and_sharing_the_file_again_add_no_leads(slack, leadbot, fake_slack, repo):
    event = file_share_event(slack, fake_slack, LEADS_CSV.encode())
    share(slack, leadbot, event, event_id="EvFILE")
    share(slack, leadbot, event, event_id="EvFILE", retry_num=1)
    share(slack, leadbot, event, event_id="EvOTHER")
    assert len(fake_slack.calls("file_download")) == 1
    assert len(thread_replies(fake_slack, INTAKE, event["ts"])) == 1

    again = file_share_event(slack, fake_slack, LEADS_CSV.encode())  # same file id, new message
    share(slack, leadbot, again)
    [reply] = thread_replies(fake_slack, INTAKE, again["ts"])
    assert "3 leads received" in reply
    assert "3 of them already received earlier (not posted again)" in reply
    assert len(repo.recent_leads(10)) == 3
    assert len(lead_summaries(fake_slack)) == 3 and len(digests(fake_slack)) == 1
    assert repo.count_qualifications() == 3


def test_a_bad_row_is_reported_by_line_and_the_others_are_posted(slack, leadbot, fake_slack, repo):
    event = file_share_event(slack, fake_slack, BAD_ROW_CSV.encode())
    share(slack, leadbot, event)

    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    assert reply.startswith("📄 `leads.csv`: 2 leads received (")
    assert "; 1 row had errors:\n• line 3: expected 3 columns as in the header, got 5" in reply
    assert len(lead_summaries(fake_slack)) == 2
    names = {stored.lead.fields["Name"] for stored in repo.recent_leads(10)}
    assert names == {"Dana Whitfield", "Priya Nair"}


@pytest.mark.parametrize(
    ("content", "file_fields", "reason", "downloaded"),
    [
        pytest.param(
            b"\x89PNG\r\n",
            {"name": "card.png", "filetype": "png"},
            "It is not a CSV file",
            0,
            id="not-csv",
        ),
        pytest.param(
            b"Name,Notes\n",
            {"size": 6_000_000},
            "It is 6.0 MB; CSV files of up to 5 MB",
            0,
            id="too-big",
        ),
        pytest.param(
            b"x",
            {"url_private_download": "https://files.example.com/leads.csv"},
            "The file did not come from Slack's file service",
            0,
            id="not-from-slack",
        ),
        pytest.param(b"Name,Notes\n", {}, "It has a header row but no rows", 1, id="no-rows"),
        pytest.param(b"  \n", {}, "The file is empty", 1, id="empty"),
        pytest.param(
            b"Name,Notes\nA,\x00\xfe\n", {}, "Line 2: expected UTF-8 text", 1, id="binary"
        ),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_reply_and_stores_nothing(
    slack, leadbot, fake_slack, repo, content, file_fields, reason, downloaded
):
    event = file_share_event(slack, fake_slack, content)
    event["files"][0].update(file_fields)
    event["text"] = ""  # with text beside it, a file that is no CSV leaves the text as the lead
    share(slack, leadbot, event)

    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    name = event["files"][0]["name"]
    assert reply.startswith(f"⚠️ I could not read `{name}`: {reason}")
    assert reply.endswith("No leads were stored.")
    assert len(fake_slack.calls("file_download")) == downloaded
    assert repo.recent_leads(10) == []
    assert summaries(fake_slack) == []


def test_slack_sign_in_page_instead_of_the_file_names_the_missing_scope(
    slack, leadbot, fake_slack, repo
):
    event = file_share_event(slack, fake_slack, b"")
    fake_slack.set_file(
        "/files-pri/T111-F100/download/leads.csv", b"<!DOCTYPE html>", content_type="text/html"
    )
    share(slack, leadbot, event)
    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    assert "the app needs the files:read scope" in reply
    assert repo.recent_leads(10) == []


def test_files_outside_intake_channels_are_ignored(slack, leadbot, fake_slack, repo):
    share(slack, leadbot, file_share_event(slack, fake_slack, LEADS_CSV.encode(), channel="CX"))
    assert fake_slack.calls("file_download") == []
    assert fake_slack.calls("chat.postMessage") == []


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.socket-mode.yaml"])
def test_manifests_grant_reading_shared_files(name):
    path = Path(__file__).resolve().parents[2] / "slack" / name
    assert "files:read" in yaml.safe_load(path.read_text())["oauth_config"]["scopes"]["bot"]


@pytest.mark.parametrize(("status", "error"), [(302, FileRefused), (503, DeliveryError)])
def test_download_never_follows_a_redirect_and_retries_only_server_errors(
    fake_slack, status, error
):
    gateway = WebApiGateway(build_web_client("xoxb-test-token", fake_slack.url))
    host = FileHost(status=status)
    with host as url, pytest.raises(error):
        gateway.download_file(url, max_bytes=100, timeout=5)
    assert host.authorizations == ["Bearer xoxb-test-token"]  # sent once, to the file host


@pytest.fixture
def csv_limits() -> dict:
    return {}


@pytest.fixture
def slack_settings(slack_settings, csv_limits):
    return slack_settings.model_copy(update=csv_limits)


def _confirm_button(fake_slack, thread_ts: str) -> tuple[str, dict]:
    [question] = [
        call.body
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("thread_ts") == thread_ts and "blocks" in call.body
    ]
    [button] = [
        element
        for block in question["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    return question["text"], button


@pytest.mark.parametrize("csv_limits", [{"csv_max_rows": 2, "csv_hard_max_rows": 10}])
def test_a_file_over_the_row_cap_waits_for_the_marketer_to_confirm(
    slack, leadbot, fake_slack, repo
):
    event = file_share_event(slack, fake_slack, LEADS_CSV.encode())
    share(slack, leadbot, event)
    text, button = _confirm_button(fake_slack, event["ts"])
    assert "has 3 rows, more than the 2 a file may have" in text
    assert "Nothing is stored or posted yet" in text
    assert (button["action_id"], button["text"]["text"]) == (ACTION_CONFIRM_DROP, "Import 3 rows")
    assert repo.recent_leads(10) == [] and digests(fake_slack) == []
    assert lead_summaries(fake_slack) == []

    assert (
        slack.click(ACTION_CONFIRM_DROP, button["value"], "USOMEONE", INTAKE, "1.2").status == 200
    )
    leadbot.worker.wait_until_idle()
    [refusal] = fake_slack.calls("chat.postEphemeral")
    assert refusal.body["user"] == "USOMEONE" and f"Only <@{MARKETER}>" in refusal.body["text"]
    assert repo.recent_leads(10) == []

    for _ in range(2):  # a double click imports once
        assert (
            slack.click(ACTION_CONFIRM_DROP, button["value"], MARKETER, INTAKE, "1.2").status == 200
        )
    leadbot.worker.wait_until_idle()
    assert len(fake_slack.calls("file_download")) == 2  # read again once confirmed
    assert len(repo.recent_leads(10)) == 3
    [digest] = digests(fake_slack)
    assert "3 leads (hot 2, cold 1)" in digest["text"]
    assert len(lead_summaries(fake_slack)) == 3
    assert thread_replies(fake_slack, INTAKE, event["ts"])[-1].startswith(
        "📄 `leads.csv`: 3 leads received"
    )


@pytest.mark.parametrize("csv_limits", [{"csv_max_rows": 1, "csv_hard_max_rows": 2}])
def test_a_file_over_the_hard_maximum_is_refused(slack, leadbot, fake_slack, repo):
    event = file_share_event(slack, fake_slack, LEADS_CSV.encode())
    share(slack, leadbot, event)
    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    assert "It has 3 rows; at most 2 are read from one file" in reply
    assert "No leads were stored" in reply
    assert repo.recent_leads(10) == [] and fake_slack.calls("chat.postEphemeral") == []
    assert "blocks" not in fake_slack.calls("chat.postMessage")[0].body
