"""Outbound lead events end to end: the real app posts them to a local receiver that is down
at first; each event arrives once, signed so the documented receiver accepts it."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from fakes.event_receiver import FailingReceiver
from pydantic import SecretStr
from slack_helpers import MANAGER, drop_lead

from bot.crm.signing import signature
from bot.render.home import stats_blocks
from bot.store.stats import funnel_stats

EVENTS_SECRET = "test-events-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "event_receiver.py"


def documented_receiver():
    spec = importlib.util.spec_from_file_location("event_receiver_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def receiver(request) -> FailingReceiver:
    with FailingReceiver(failures=getattr(request, "param", 3)) as fake:
        yield fake


@pytest.fixture
def slack_settings(slack_settings, receiver):
    return slack_settings.model_copy(
        update={"events_url": receiver.url, "events_secret": SecretStr(EVENTS_SECRET)}
    )


def _signed_by_leadbot(request) -> bool:
    return documented_receiver().verify(
        EVENTS_SECRET,
        request.headers.get("x-leadbot-request-timestamp"),
        request.headers.get("x-leadbot-signature"),
        request.raw,
    )


def test_events_survive_a_failing_receiver_and_arrive_once_signed(
    slack, leadbot, fake_slack, repo, receiver
):
    lead = drop_lead(slack, leadbot, repo)
    assert slack.click("lead_claim", lead.id, "UREP1", lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    assert slack.click("lead_release", lead.id, MANAGER, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()

    assert [r.status for r in receiver.requests[:3]] == [500, 500, 500]
    accepted = receiver.accepted()
    events = [request.json() for request in accepted]
    assert [event["event"] for event in events] == ["qualified", "claimed", "released"]
    assert len({event["id"] for event in events}) == 3
    assert all(_signed_by_leadbot(request) for request in receiver.requests)
    assert all(r.headers["x-leadbot-event-id"] == r.json()["id"] for r in accepted)
    # a retry sends the same bytes: the receiver can drop what it already took
    first = receiver.requests[0]
    assert any(r.raw == first.raw for r in accepted)

    qualified, claimed, released = events
    assert set(claimed) >= {"event", "lead", "qualification", "rep", "at"}
    assert qualified["rep"] is None and claimed["rep"] == "UREP1" and released["rep"] == MANAGER
    assert claimed["lead"]["id"] == lead.id and claimed["lead"]["claimed_by"] == "UREP1"
    evidence = [c["evidence"] for c in claimed["qualification"]["criteria"] if c["evidence"]]
    assert evidence and all(span in claimed["lead"]["text"] for span in evidence)
    figures = funnel_stats(repo).handoff
    assert [(f.destination, f.delivered, f.pending) for f in figures] == [("Events", 3, 0)]


def test_a_forged_signature_is_refused_by_the_documented_receiver():
    receiver = documented_receiver()
    body = b'{"event":"claimed"}'
    timestamp = str(int(time.time()))
    good = signature(EVENTS_SECRET, timestamp, body)
    assert receiver.verify(EVENTS_SECRET, timestamp, good, body)
    assert not receiver.verify(EVENTS_SECRET, timestamp, good, body + b" ")
    assert not receiver.verify("another secret", timestamp, good, body)
    assert not receiver.verify(EVENTS_SECRET, str(int(timestamp) - 600), good, body)


@pytest.mark.parametrize("receiver", [0], indirect=True)
def test_a_receiver_that_stays_down_shows_in_stats_and_does_not_block_slack(
    slack, leadbot, fake_slack, repo, receiver
):
    lead = drop_lead(slack, leadbot, repo)
    receiver.failures = 1_000
    assert slack.click("lead_claim", lead.id, "UREP1", lead.channel, lead.ts).status == 200
    receiver.wait_for(1 + 3)  # the qualified event, then the claimed one tried three times
    assert repo.get_lead(lead.id).claimed_by == "UREP1"
    [figures] = funnel_stats(repo).handoff
    assert (figures.destination, figures.delivered, figures.pending) == ("Events", 1, 1)
    assert figures.failing == 1 and "answered 500" in figures.last_error
    text = str(stats_blocks(funnel_stats(repo)))
    assert "Events: 1 delivered, 1 waiting (1 failing: HandoffError: claimed event" in text
