"""The webhook's hand-off side: signed requests (leadbot's own scheme), Idempotency-Key,
409 on a reused id with other content, and one lead per person across sources."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from pydantic import SecretStr
from slack_helpers import INTAKE, Reply, drop_lead, summaries, thread_replies

from bot.crm.signing import signed_headers

SECRET = "webhook-test-secret"
PERSON = {
    "text": "Dana from Globex Freight: 50k budget, wants a demo next month.",
    "fields": {"Name": "Dana Whitfield", "Email": "Dana@Globex.example"},
    "source": "pricing",
}


@pytest.fixture
def same_person_days() -> int:
    return 7


@pytest.fixture
def slack_settings(slack_settings, same_person_days):
    return slack_settings.model_copy(
        update={"webhook_secret": SecretStr(SECRET), "same_person_days": same_person_days}
    )


def send(slack, body: dict | bytes, headers: dict[str, str]) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        slack.url + "/webhooks/lead",
        data=data,
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode(), dict(error.headers))


def signed(slack, body: dict, *, secret: str = SECRET, now: float | None = None, **headers):
    data = json.dumps(body).encode()
    return send(slack, data, {**signed_headers(secret, data, now), **headers})


def bearer(slack, body: dict, **headers) -> Reply:
    return send(slack, body, {"Authorization": f"Bearer {SECRET}", **headers})


def test_a_signed_request_is_accepted_a_forged_or_stale_one_refused(slack, leadbot, repo):
    assert signed(slack, PERSON, secret="another secret").status == 401
    assert signed(slack, PERSON, now=time.time() - 600).status == 401
    forged = json.dumps(PERSON).encode()
    headers = signed_headers(SECRET, forged)
    assert send(slack, forged + b" ", headers).status == 401  # signed body, other bytes
    assert repo.recent_leads(10) == []
    reply = signed(slack, PERSON)
    assert reply.status == 202 and json.loads(reply.body)["duplicate"] is False
    assert bearer(slack, {**PERSON, "text": "Another lead, by bearer"}).status == 202


def test_an_idempotency_key_makes_a_retry_the_same_lead_and_other_content_a_409(
    slack, leadbot, fake_slack, repo
):
    first = bearer(slack, PERSON, **{"Idempotency-Key": "req-1"})
    again = bearer(slack, PERSON, **{"Idempotency-Key": "req-1"})
    assert first.status == again.status == 202
    assert json.loads(again.body) == {
        "lead_id": json.loads(first.body)["lead_id"],
        "duplicate": True,
        "merged": False,
    }
    other = bearer(slack, {**PERSON, "text": "something else"}, **{"Idempotency-Key": "req-1"})
    assert other.status == 409 and "Idempotency-Key" in json.loads(other.body)["detail"]
    assert bearer(slack, PERSON, **{"Idempotency-Key": "bad key"}).status == 400
    leadbot.worker.wait_until_idle()
    assert len(repo.recent_leads(10)) == 1
    assert len(summaries(fake_slack)) == 1


def test_the_same_person_from_two_sources_is_one_lead_with_both_submissions(
    slack, leadbot, fake_slack, repo
):
    posted = drop_lead(slack, leadbot, repo, "Dana Whitfield (dana@globex.example) stopped by.")
    reply = bearer(slack, {**PERSON, "id": "p-1"})
    assert reply.status == 202
    answer = json.loads(reply.body)
    assert answer == {"lead_id": posted.id, "duplicate": False, "merged": True}
    leadbot.worker.wait_until_idle()

    [stored] = repo.recent_leads(10)
    assert "stopped by" in stored.lead.text and "50k budget" in stored.lead.text
    assert stored.lead.fields["Name"] == "Dana Whitfield"
    assert len(summaries(fake_slack)) == 1  # updated, not posted twice
    replies = thread_replies(fake_slack, INTAKE, posted.intake_ts)
    assert any("came in again via" in text for text in replies)
    # the merged submission sent again is still that lead; with other content, a conflict
    assert json.loads(bearer(slack, {**PERSON, "id": "p-1"}).body)["duplicate"] is True
    assert bearer(slack, {**PERSON, "id": "p-1", "text": "changed"}).status == 409
    # the first submission's own retry is unaffected by the merge
    assert len(repo.recent_leads(10)) == 1


def test_the_same_source_twice_or_another_address_makes_two_leads(slack, leadbot, repo):
    assert json.loads(bearer(slack, {**PERSON, "id": "a"}).body)["merged"] is False
    assert json.loads(bearer(slack, {**PERSON, "id": "b"}).body)["merged"] is False
    other = {**PERSON, "id": "c", "source": "demo", "fields": {"Email": "bob@initech.example"}}
    assert json.loads(bearer(slack, other).body)["merged"] is False
    assert len(repo.recent_leads(10)) == 3


@pytest.mark.parametrize("same_person_days", [0])
def test_with_no_window_the_same_person_makes_a_second_lead(slack, leadbot, repo):
    posted = drop_lead(slack, leadbot, repo, "Dana Whitfield (dana@globex.example) stopped by.")
    answer = json.loads(bearer(slack, {**PERSON, "id": "p-1"}).body)
    assert answer["merged"] is False and answer["lead_id"] != posted.id
