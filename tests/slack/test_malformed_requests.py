"""Malformed requests get a 4xx with a one-line reason, store nothing and log no traceback:
through the real Bolt app over HTTP, signed like Slack signs them where a signature applies."""

from __future__ import annotations

import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from pydantic import SecretStr
from slack_helpers import SIGNING_SECRET, Reply, load_payload

WEBHOOK_SECRET = "webhook-test-secret"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def slack_settings(slack_settings):
    return slack_settings.model_copy(update={"webhook_secret": SecretStr(WEBHOOK_SECRET)})


@pytest.fixture
def no_traceback(caplog, leadbot, repo):
    """After the test: nothing was stored or queued, and no log record carries a traceback."""
    caplog.set_level(logging.DEBUG)
    yield
    tracebacks = [record for record in caplog.records if record.exc_info or record.exc_text]
    assert tracebacks == [] and "Traceback" not in caplog.text
    assert repo.recent_leads(10) == [] and leadbot.worker.queue.pending() == 0


def _send(url: str, body: bytes, headers: dict) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode(), dict(error.headers))


def _refused(reply: Reply, status: int, error: str, detail: str) -> None:
    answer = json.loads(reply.body)
    assert (reply.status, answer["error"]) == (status, error)
    assert detail in answer["detail"] and "\n" not in answer["detail"]


@pytest.mark.usefixtures("no_traceback")
@pytest.mark.parametrize(
    "timestamp, status, error",
    [("soon", 400, "invalid_timestamp"), ("", 401, "invalid_signature"), ("1", 401, "stale")],
)
def test_bad_signature_headers_are_refused_before_the_body(slack, timestamp, status, error):
    headers = {"Content-Type": "application/json", "X-Slack-Signature": "v0=00"}
    if timestamp:
        headers["X-Slack-Request-Timestamp"] = timestamp
    reply = _send(slack.url + "/slack/events", b'{"type": "event_callback"}', headers)
    _refused(reply, status, error.removesuffix("stale") or "stale_request", "")


def _block_actions(actions: list) -> dict:
    payload = load_payload("interactivity/block_actions_button_with_message.json")
    payload["actions"] = actions
    return payload


def _view_submission_without_type() -> dict:
    payload = load_payload("interactivity/view_submission.json")
    del payload["view"]["type"]
    return payload


@pytest.mark.usefixtures("no_traceback")
@pytest.mark.parametrize(
    "payload, detail",
    [
        (_block_actions([]), "at least one action"),
        (_block_actions([{"type": "button"}]), "`action_id`"),
        (_view_submission_without_type(), "a `view` that has a `type`"),
        ({"type": "view_submission", "view": "x"}, "a `view` that has a `type`"),
    ],
)
def test_signed_interactions_missing_what_bolt_reads_get_400(slack, payload, detail):
    _refused(slack.interaction(payload), 400, "malformed_payload", detail)


@pytest.mark.usefixtures("no_traceback")
@pytest.mark.parametrize(
    "body, content_type, status, detail",
    [
        (DEEP_JSON, "application/json", 400, "nested too deeply"),
        ('{"type": "event_callback", "event": "x"}', "application/json", 400, "`event` object"),
        ("payload=%7B%ZZ", "application/x-www-form-urlencoded", 400, "expected Slack JSON"),
        ("payload=" + quote(DEEP_JSON), "application/x-www-form-urlencoded", 400, "deeply"),
        ('{"type": "event_callback"}', "text/plain", 415, "application/json"),
        ("[1]", "application/json", 400, "a JSON object"),
    ],
)
def test_signed_bodies_that_are_not_slack_payloads_get_4xx(
    slack, body, content_type, status, detail
):
    reply = slack.post(body, content_type)
    error = "unsupported_content_type" if status == 415 else "malformed_payload"
    _refused(reply, status, error, detail)


@pytest.mark.usefixtures("no_traceback")
def test_a_signed_body_that_is_not_utf8_gets_400(slack):
    body = b'{"text": "\xff"}'
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, "sha256")
    signature = "v0=" + digest.hexdigest()  # slack_sdk signs text only
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    _refused(_send(slack.url + "/slack/events", body, headers), 400, "malformed_payload", "UTF-8")


@pytest.mark.usefixtures("no_traceback")
@pytest.mark.parametrize(
    "body, content_type, status, error, detail",
    [
        (DEEP_JSON.encode(), "application/json", 400, "invalid_lead", "nested too deeply"),
        (b"text=hello", "application/x-www-form-urlencoded", 415, "unsupported", "json"),
        (b'{"text": "\xff"}', "application/json", 400, "invalid_lead", "UTF-8"),
    ],
)
def test_malformed_webhook_bodies_get_4xx(slack, body, content_type, status, error, detail):
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {WEBHOOK_SECRET}"}
    reply = _send(slack.url + "/webhooks/lead", body, headers)
    answer = json.loads(reply.body)
    assert reply.status == status and answer["error"].startswith(error)
    assert detail in answer["detail"]
