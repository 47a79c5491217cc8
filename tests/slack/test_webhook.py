"""`POST /webhooks/lead`: web forms send leads over HTTP, to the same pipeline as Slack."""

from __future__ import annotations

import http.client
import io
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from slack_helpers import WARM_LEAD, Reply, summaries

from bot.slack.webhook_endpoint import LeadWebhook, RateLimiter

SECRET = "webhook-test-secret"
FORM_LEAD = {
    "text": WARM_LEAD,
    "fields": {"Name": "Dana Whitfield", "Company": "Globex Freight", "Employees": 300},
    "id": "form-42",
    "source": "typeform",
    "submitted_by": "jane@example.com",
}


@pytest.fixture
def webhook_secret() -> str | None:
    return SECRET


@pytest.fixture
def rate_per_minute() -> int:
    return 60


@pytest.fixture
def slack_settings(slack_settings, webhook_secret, rate_per_minute):
    secret = SecretStr(webhook_secret) if webhook_secret else None
    return slack_settings.model_copy(
        update={"webhook_secret": secret, "webhook_rate_per_minute": rate_per_minute}
    )


def post_lead(
    slack, body: dict | bytes, *, secret: str | None = SECRET, method: str = "POST"
) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(
        slack.url + "/webhooks/lead",
        data=data if method == "POST" else None,
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode(), dict(error.headers))


def assert_nothing_stored(leadbot, repo) -> None:
    assert repo.recent_leads(10) == []
    assert leadbot.worker.queue.pending() == 0


def test_lead_is_stored_before_202_then_qualified_and_posted(slack, leadbot, fake_slack, repo):
    reply = post_lead(slack, FORM_LEAD)

    assert reply.status == 202
    answer = json.loads(reply.body)
    assert answer["duplicate"] is False
    stored = repo.get_lead(answer["lead_id"])
    assert stored.lead.fields == {
        "Name": "Dana Whitfield",
        "Company": "Globex Freight",
        "Employees": "300",
    }
    assert (stored.lead.id, stored.lead.source) == ("form-42", "webhook:typeform")

    leadbot.worker.wait_until_idle()
    [summary] = summaries(fake_slack)
    context = str(summary.body["blocks"])
    assert "From a web form (typeform) by jane@example.com" in context
    assert "Dana Whitfield, Globex Freight" in summary.body["text"]
    assert len(fake_slack.calls("chat.postMessage")) == 1  # nobody in Slack to answer


def test_the_same_lead_sent_again_is_the_same_lead(slack, leadbot, fake_slack, repo):
    first = json.loads(post_lead(slack, FORM_LEAD).body)
    again = json.loads(post_lead(slack, FORM_LEAD).body)
    assert again == {"lead_id": first["lead_id"], "duplicate": True, "merged": False}
    changed = post_lead(slack, {**FORM_LEAD, "text": "edited"})
    assert changed.status == 409
    assert json.loads(changed.body)["error"] == "conflict"
    assert repo.get_lead(first["lead_id"]).lead.text == WARM_LEAD

    no_id = {"text": "Bob from Initech wants to fix their reporting."}
    assert json.loads(post_lead(slack, no_id).body)["duplicate"] is False
    assert json.loads(post_lead(slack, no_id).body)["duplicate"] is True  # same content

    leadbot.worker.wait_until_idle()
    assert len(repo.recent_leads(10)) == 2
    assert len(summaries(fake_slack)) == 2


@pytest.mark.parametrize("secret", [None, "wrong-secret", SECRET[:-1]])
def test_wrong_or_missing_secret_is_refused(slack, leadbot, repo, secret):
    reply = post_lead(slack, FORM_LEAD, secret=secret)
    assert reply.status == 401
    assert json.loads(reply.body)["error"] == "unauthorized"
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert_nothing_stored(leadbot, repo)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "body: expected JSON, line 1 column 2"),
        (b"[1, 2]", "body: expected a JSON object, got list"),
        ({"text": 42}, "text: Input should be a valid string"),
        ({"text": "x", "fields": {"Budget": [50000]}}, "fields.Budget: expected text, a number"),
        ({"text": "x", "feilds": {}}, "feilds: Extra inputs are not permitted"),
        ({"text": "x", "source": "my form!"}, "source: String should match pattern"),
        ({"text": "  ", "fields": {"Name": ""}}, "body: expected the lead's `text` or some"),
    ],
)
def test_malformed_lead_gets_400_naming_the_field(slack, leadbot, repo, body, detail):
    reply = post_lead(slack, body)
    assert reply.status == 400
    answer = json.loads(reply.body)
    assert answer["error"] == "invalid_lead"
    assert answer["detail"].startswith(detail)
    assert_nothing_stored(leadbot, repo)


def test_body_over_one_megabyte_gets_413_before_it_is_read(slack, leadbot, repo):
    connection = http.client.HTTPConnection(urlsplit(slack.url).netloc, timeout=10)
    connection.putrequest("POST", "/webhooks/lead")
    connection.putheader("Authorization", f"Bearer {SECRET}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", "1000001")
    connection.endheaders()  # the server answers from the headers; the body never comes
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"] == "too_large"
    connection.close()
    assert_nothing_stored(leadbot, repo)


def test_only_post_is_answered(slack, leadbot, repo):
    reply = post_lead(slack, FORM_LEAD, method="GET")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")
    assert_nothing_stored(leadbot, repo)


@pytest.mark.parametrize("webhook_secret", [None])
def test_without_a_secret_the_endpoint_does_not_exist(slack, leadbot, repo):
    for secret in (None, "", SECRET):
        reply = post_lead(slack, FORM_LEAD, secret=secret)
        assert reply.status == 404
        assert "LEADBOT_WEBHOOK_SECRET" in json.loads(reply.body)["detail"]
    assert_nothing_stored(leadbot, repo)


@pytest.mark.parametrize("rate_per_minute", [3])
def test_each_source_gets_its_rate_then_429_with_retry_after(slack, leadbot, repo):
    """Ten concurrent leads from one form: the limit holds across the server's threads."""

    def send(number: int) -> Reply:
        return post_lead(slack, {**FORM_LEAD, "id": f"burst-{number}"})

    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(send, range(10)))
    assert sorted(reply.status for reply in replies) == [202] * 3 + [429] * 7
    refused = next(reply for reply in replies if reply.status == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 20  # a token comes back every 20 s
    answer = json.loads(refused.body)
    assert answer["error"] == "rate_limited" and "at most 3 leads a minute" in answer["detail"]
    assert len(repo.recent_leads(20)) == 3

    other_form = post_lead(slack, {**FORM_LEAD, "id": "other-1", "source": "hubspot"})
    assert other_form.status == 202  # another source has its own allowance


def test_the_rate_limiter_refills_as_time_passes():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.wait_seconds("form") for _ in range(3)] == [0, 0, 30]
    assert limiter.wait_seconds("10.0.0.1") == 0
    now[0] = 29.0
    assert limiter.wait_seconds("form") == 1
    now[0] = 30.0
    assert limiter.wait_seconds("form") == 0


def test_the_body_limit_is_a_setting(leadbot, repo):
    webhook = LeadWebhook(
        leadbot.services.receive, SecretStr(SECRET), max_bytes=2_000, rate_per_minute=60
    )
    body = json.dumps({**FORM_LEAD, "text": "x" * 3_000}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_AUTHORIZATION": f"Bearer {SECRET}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answer = webhook.handle(environ)
    assert (answer.status, answer.body["error"]) == (413, "too_large")
    assert environ["wsgi.input"].tell() == 0  # refused from its length, unread
    assert_nothing_stored(leadbot, repo)
