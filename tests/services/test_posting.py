"""Each message once: a retry whose earlier try's answer was lost finds the message (by its
metadata) instead of posting it again, in a channel, a thread or the marketer's DM."""

from __future__ import annotations

import pytest
from services.conftest import SALES

from bot.domain.lifecycle import LeadSource, MessageKind
from bot.domain.work import NotifyThread, ProcessLead
from bot.services.deliver import DeliverService
from bot.services.gateway import DeliveryError, RetryAfter
from bot.services.posting import MessagePoster
from qualifiers.models import Lead


def lose_next_answers(gateway, times: int) -> None:
    """The next `times` posts reach Slack, but their answers do not come back."""
    post = gateway.post_message
    lost = iter(range(times))

    def post_and_lose(*args, **kwargs):
        location = post(*args, **kwargs)
        if next(lost, None) is not None:
            raise DeliveryError("chat_postMessage", "ReadTimeout")
        return location

    gateway.post_message = post_and_lose


def test_a_dm_thread_opened_by_a_lost_post_is_found_and_kept(deliver, receive, gateway, uow):
    modal, _ = receive.receive(
        Lead(text="x", source=LeadSource.SLACK_MODAL, submitted_by="UMKT"), dedupe_key="v:1"
    )
    lose_next_answers(gateway, 1)
    with pytest.raises(DeliveryError):
        deliver.notify(NotifyThread(lead_id=modal.id, text="first", notice_id="n1"))
    deliver.notify(NotifyThread(lead_id=modal.id, text="first", notice_id="n1"))  # the retry
    deliver.notify(NotifyThread(lead_id=modal.id, text="second", notice_id="n2"))

    assert [m["text"] for m in gateway.posted["DUMKT"]] == ["first", "second"]
    thread = uow.state.messages[(modal.id, MessageKind.THREAD)]
    assert thread == ("DUMKT", gateway.posted["DUMKT"][0]["ts"])
    assert gateway.posted["DUMKT"][1]["thread_ts"] == thread[1]
    [lookup] = gateway.named("recent_messages")
    assert (lookup.args[0], lookup.kwargs["thread_ts"]) == ("UMKT", None)


def test_every_kind_of_message_names_itself(deliver, receive, gateway):
    stored, _ = receive.receive(
        Lead(text="CFO, budget 50k", source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT"),
        dedupe_key="slack:CINTAKE:1.0",
        intake_channel="CINTAKE",
        intake_ts="1.0",
    )
    lose_next_answers(gateway, 2)
    for _ in range(3):
        try:
            deliver.process(ProcessLead(lead_id=stored.id))
        except DeliveryError:
            continue
    posts = gateway.named("post_message")
    keys = [p.kwargs["metadata"]["event_payload"]["key"] for p in posts]
    assert keys == [f"summary:{stored.id}", f"intake_reply:{stored.id}"]
    assert len(gateway.posted[SALES]) == 1 and len(gateway.posted["CINTAKE"]) == 1


class BusyChannel:
    """A `Pacer` whose channels are always full: every post must wait 30 s."""

    def acquire(self, channel: str, *, urgent: bool = False) -> float:
        return 30.0

    def hold(self, channel: str, seconds: float) -> None:
        raise AssertionError("our own pace is not a 429: nothing to hold")


@pytest.mark.parametrize(("tier", "priority"), [("hot", 0), ("warm", -10), ("cold", -20)])
def test_a_paced_summary_is_tried_again_at_its_tiers_priority(
    uow, gateway, qualify, qualifier, rubrics, receive, tier, priority
):
    poster = MessagePoster(uow, gateway, BusyChannel())
    deliver = DeliverService(uow, gateway, qualify, rubrics, poster, sales_channel=SALES)
    qualifier.tier = tier
    stored, _ = receive.receive(Lead(text="CFO, budget 50k"), dedupe_key="cli:1")

    with pytest.raises(RetryAfter) as paced:
        deliver.process(ProcessLead(lead_id=stored.id))

    assert paced.value.seconds == 30.0
    assert paced.value.priority == priority  # behind new leads, then by tier
    assert gateway.named("post_message") == []
