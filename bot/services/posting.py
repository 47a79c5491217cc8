"""Post each bot message exactly once, across lost answers, crashes and replicas.

Every message carries Slack message metadata naming it (`leadbot_message`: its key, kind
and lead). The intent is recorded before Slack is called and the result after. A try that
finds an intent without a result (an earlier try's answer was lost, or its process died
between the post and the record) first looks for the message in Slack, in the channel's
history or the thread's replies since the intent was recorded, and records what it finds
instead of posting again. `reconcile` does the same for every open intent on start.

Posts are paced per channel (`Pacer`, shared by all processes) and a 429 holds the channel
for everyone; both become `RetryAfter` when the wait is longer than a worker should sleep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Protocol

from bot.domain.lifecycle import MessageKind, is_slack_user_id
from bot.services.gateway import DeliveryError, RetryAfter, SlackGateway
from bot.store.database import utcnow
from bot.store.posts import PostIntent, PostRecord
from bot.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

EVENT_TYPE = "leadbot_message"
LOOKUP_MARGIN = timedelta(minutes=2)  # our clock against Slack's
RECONCILE_WINDOW = timedelta(days=1)
RECONCILE_LIMIT = 500
MAX_PACE_WAIT_SECONDS = 5.0
PACING = "pacing"  # the `method` of a RetryAfter that our own pace raised
# Lookups Slack refuses for good (the bot is not in the channel, lacks a history scope, or
# the thread has nothing in it): the post goes out without the look.
LOOKUP_REFUSALS = frozenset(
    {"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"}
)
# Kinds whose location the lead keeps (`LeadRepository.slack_message`).
LOCATED_KINDS = frozenset({MessageKind.INTAKE_REPLY, MessageKind.DIGEST})


class Pacer(Protocol):
    """`bot.store.pacing.ChannelPacer`: Slack's per-channel limit, shared by all processes."""

    def acquire(self, channel: str, *, urgent: bool = False) -> float:
        """0.0 when the post may go now, else the seconds to wait."""

    def hold(self, channel: str, seconds: float) -> None: ...


def message_metadata(intent: PostIntent) -> dict:
    """Slack message metadata naming the message (what a lookup matches on)."""
    payload: dict = {"key": intent.key, "kind": str(intent.kind)}
    if intent.lead_id is not None:
        payload["lead_id"] = intent.lead_id
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def is_message(message: dict, key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key


class MessagePoster:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        pacer: Pacer,
        *,
        max_pace_wait: float = MAX_PACE_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.uow = uow
        self.gateway = gateway
        self.pacer = pacer
        self.max_pace_wait = max_pace_wait
        self.sleep = sleep

    def post(
        self,
        intent: PostIntent,
        text: str,
        *,
        blocks: list[dict] | None = None,
        broadcast: bool = False,
        urgent: bool = False,
        priority: int | None = None,
    ) -> tuple[str, str]:
        """Post the message named `intent.key` once; (channel id, ts) where it is. `urgent`
        (a hot lead) may use the channel's last burst slots; `priority` orders the work
        behind a paced or rate-limited post when it is tried again."""
        with self.uow as tx:
            record = tx.posts.get(intent.key)
            if record is None and not tx.posts.add_intent(intent):
                record = tx.posts.get(intent.key)  # another process recorded it just now
        if record is not None:
            found = record.location or self._find(record)
            if found:
                return found
        try:
            # a summary that is not urgent gives its turn to hotter work instead of waiting
            self._pace(intent.channel, urgent, yields=priority is not None and not urgent)
            channel, ts = self.gateway.post_message(
                intent.channel,
                text,
                blocks=blocks,
                thread_ts=intent.thread_ts,
                broadcast=broadcast,
                metadata=message_metadata(intent),
            )
        except RetryAfter as exc:
            if exc.method != PACING:  # Slack's 429: every process waits, not just us
                self.pacer.hold(intent.channel, exc.seconds)
            exc.priority = priority
            raise
        self._record(intent, channel, ts)
        return channel, ts

    def reconcile(self) -> int:
        """On start: look in Slack for the messages of recent intents without a result and
        record those found (the others are posted when their work runs again). Returns how
        many were found; Slack failing leaves the rest to the work's retries."""
        with self.uow as tx:
            open_intents = tx.posts.unresolved(utcnow() - RECONCILE_WINDOW, RECONCILE_LIMIT)
        found = 0
        for record in open_intents:
            try:
                found += self._find(record) is not None
            except DeliveryError as exc:
                logger.warning("reconciling posts stopped at %s: %s", record.key, exc)
                break
        return found

    def _find(self, record: PostRecord) -> tuple[str, str] | None:
        """The message in Slack, recorded, or None when an earlier try did not post it."""
        created = record.created_at
        if created.tzinfo is None:  # SQLite returns naive UTC
            created = created.replace(tzinfo=UTC)
        oldest = f"{(created - LOOKUP_MARGIN).timestamp():.6f}"
        try:
            channel, messages = self.gateway.recent_messages(
                record.channel, oldest=oldest, thread_ts=record.thread_ts
            )
        except RetryAfter:
            raise
        except DeliveryError as exc:
            if exc.error not in LOOKUP_REFUSALS:
                raise
            logger.warning("cannot look for %s in Slack (%s): posting it", record.key, exc)
            return None
        ts = next((m["ts"] for m in messages if is_message(m, record.key)), None)
        if ts is None:
            return None
        logger.info("%s was posted by an earlier try: recorded, not posted again", record.key)
        self._record(record, channel, ts)
        return channel, ts

    def _record(self, intent: PostIntent, channel: str, ts: str) -> None:
        """The result, and what the lead keeps of it, in one transaction."""
        with self.uow as tx:
            tx.posts.record(intent.key, channel, ts)
            lead_id = intent.lead_id
            if lead_id is None:
                return
            if intent.kind == MessageKind.SUMMARY:
                tx.leads.mark_posted(lead_id, channel, ts)
            elif intent.kind in LOCATED_KINDS:
                tx.leads.save_slack_message(lead_id, intent.kind, channel, ts)
            if intent.thread_ts is None and is_slack_user_id(intent.channel):
                # the first message to the marketer opens the lead's DM thread
                tx.leads.save_slack_message(lead_id, MessageKind.THREAD, channel, ts)

    def _pace(self, channel: str, urgent: bool, *, yields: bool = False) -> None:
        """Wait for the channel's next slot here, or (when the wait is long, or the post
        `yields`) raise `RetryAfter` so the work is tried again when the slot comes."""
        while (wait := self.pacer.acquire(channel, urgent=urgent)) > 0:
            if yields or wait > self.max_pace_wait:
                raise RetryAfter(PACING, wait)
            self.sleep(wait)
