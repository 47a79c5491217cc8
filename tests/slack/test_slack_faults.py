"""Slack failing, rate limiting and the app restarting: no lead lost, none posted twice."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from home_helpers import open_home
from slack_helpers import (
    INTAKE,
    MANAGER,
    MARKETER,
    WARM_LEAD,
    block_text,
    drop_lead,
    summaries,
    thread_replies,
)

from bot.bootstrap import create_app
from bot.render import summary as blocks
from bot.slack.gateway import build_web_client


def test_slack_failing_then_recovering_posts_each_message_once(slack, leadbot, fake_slack, repo):
    fake_slack.fail_next("chat.postMessage", times=2, mode="error")  # outlasts the call
    fake_slack.fail_next("chat.postMessage", mode="http500")  # looked for, then posted
    fake_slack.fail_next("chat.postMessage", mode="disconnect")
    lead = drop_lead(slack, leadbot, repo)

    # 2 refused, 1 HTTP 500, 1 dropped connection, then the one that was posted
    assert len(summaries(fake_slack)) == 5
    assert len(thread_replies(fake_slack, INTAKE, lead.intake_ts)) == 1
    assert repo.get_lead(lead.id).status == "posted"


def test_rate_limited_post_waits_for_retry_after(slack, leadbot, fake_slack, repo):
    fake_slack.fail_next("chat.postMessage", mode="ratelimit", retry_after=1)
    lead = drop_lead(slack, leadbot, repo)
    assert len(summaries(fake_slack)) == 2
    assert repo.slack_message(lead.id, "summary") == (lead.channel, lead.ts)


def test_failed_summary_update_is_retried_and_the_claim_kept(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    fake_slack.fail_next("chat.update", times=3, mode="error")
    slack.click(blocks.ACTION_CLAIM, lead.id, "UREP1", lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()
    updates = fake_slack.calls("chat.update")
    assert len(updates) == 4
    assert "Claimed by <@UREP1>" in str(updates[-1].body["blocks"])


def test_pending_work_resumes_when_the_app_starts_again(
    slack, leadbot, fake_slack, repo, slack_settings
):
    leadbot.worker.stop()  # the process "crashes" after acknowledging the lead
    event = slack.message_event(WARM_LEAD)
    assert slack.event(event).status == 200
    assert repo.find_by_intake(INTAKE, event["ts"]) is not None
    assert leadbot.worker.queue.pending() == 1
    assert summaries(fake_slack) == []
    # a worker died holding the item: its lease runs out, then the new process takes it
    assert leadbot.worker.queue.lease(seconds=0.05) is not None

    client = build_web_client("xoxb-test-token", fake_slack.url, backoff_seconds=0.01)
    restarted = create_app(slack_settings, client=client, database=repo)
    restarted.worker.poll_seconds = 0.05
    restarted.start_worker()
    try:
        restarted.worker.wait_until_idle()
    finally:
        restarted.stop()
    assert len(summaries(fake_slack)) == 1
    assert len(thread_replies(fake_slack, INTAKE, event["ts"])) == 1


def test_slack_down_at_the_first_request_loses_no_lead(slack, leadbot, fake_slack, repo):
    fake_slack.fail_next("auth.test", times=10, mode="http500")
    lead = drop_lead(slack, leadbot, repo)
    assert repo.get_lead(lead.id).status == "posted"


def _health(slack) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(slack.url + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_permanent_slack_error_fails_at_once_and_everyone_sees_it(
    slack, leadbot, fake_slack, repo, monkeypatch, capsys
):
    assert _health(slack)[0] == 200
    fake_slack.fail_next("chat.postMessage", mode="error", error="channel_not_found")
    event = slack.message_event(WARM_LEAD)
    assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()

    assert len(summaries(fake_slack)) == 1  # tried once, not retried
    [reply] = thread_replies(fake_slack, INTAKE, event["ts"])
    assert "could not be posted" in reply and "channel_not_found" in reply
    total, [failed] = leadbot.worker.queue.failed()
    assert (total, failed.kind, failed.error_class, failed.attempts) == (
        1,
        "process",
        "permanent",
        1,
    )

    status, body = _health(slack)
    assert status == 503 and "failed for good" in " ".join(body["reasons"])

    home = block_text(open_home(slack, MANAGER, fake_slack)["blocks"])
    assert "Failed work" in home and "channel_not_found" in home
    marketer_home = open_home(slack, MARKETER, fake_slack, publishes_before=1)
    assert "Failed work" not in block_text(marketer_home["blocks"])

    from bot.cli import main

    monkeypatch.setenv("LEADBOT_DATABASE_URL", str(repo.engine.url))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "Failed work: 1" in out and "channel_not_found" in out


def test_health_says_503_while_the_database_is_unreachable_and_ok_after(
    slack, leadbot, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    real_session = leadbot.database.session

    def refused():
        raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(leadbot.database, "session", refused)
    status, body = _health(slack)
    assert status == 503 and body["error"] == "database"
    assert "database unreachable: connection refused" in body["reasons"]
    monkeypatch.setattr(leadbot.database, "session", real_session)
    # healthy again once this process's worker has reached the database too
    deadline = time.monotonic() + 10
    while (answer := _health(slack))[0] != 200:
        assert time.monotonic() < deadline, answer
        time.sleep(0.02)
    assert answer[1]["ok"] is True


def test_health_says_503_when_due_work_is_not_taken(slack, leadbot, repo):
    leadbot.worker.stop()  # no worker anywhere
    event = slack.message_event(WARM_LEAD)
    assert slack.event(event).status == 200
    assert _health(slack)[0] == 200  # just queued
    leadbot.worker.queue.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
    status, body = _health(slack)
    assert status == 503 and "is a worker running?" in " ".join(body["reasons"])
