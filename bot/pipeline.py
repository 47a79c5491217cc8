"""The lead's path through the Slack app: store, qualify, post the summary, keep it current.

Listeners call the intake and button methods here while Slack waits for its ack: they only
write to the database (the lead, the claim, a work item) and return. Everything that talks
to Slack runs later in the durable worker through the work handlers below, each safe to
run again after a failure: a summary is posted once (its location is recorded and checked
first), and edits re-render the whole message from the database.

Nothing here imports Slack: Slack is reached through a `SlackGateway`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Protocol

from bot import blocks
from bot.rubric_holder import RubricHolder
from bot.store.repository import Repository, StoredLead
from bot.store.work_queue import WorkItem, WorkQueue
from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import DISQUALIFIED

logger = logging.getLogger(__name__)

SOURCE_MESSAGE = "slack"
SOURCE_MODAL = "slack_modal"
SOURCE_SHORTCUT = "slack_shortcut"
SOURCE_CSV = "slack_csv"

WORK_PROCESS = "process"
WORK_REQUALIFY = "requalify"
WORK_REFRESH = "refresh"
WORK_NOTIFY = "notify"
WORK_EPHEMERAL = "ephemeral"
WORK_SLA_REMINDER = "sla_reminder"

RECEIPT_REACTION = "inbox_tray"
EPHEMERAL_ATTEMPTS = 3
PERMALINK_CACHE_SIZE = 10_000
QUALIFY_CHUNK = 50  # leads of a batch qualified together before their summaries are queued
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


class DeliveryError(Exception):
    """Slack could not be reached or refused a call; the work that made it is retried."""

    def __init__(self, method: str, error: str):
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class FileRefused(Exception):
    """A shared file that is not downloaded (not from Slack, too large, refused by Slack);
    trying again would not help. The message is a sentence for the person who shared it."""


class ConfigurationError(Exception):
    """The settings and the rubric do not say where a summary goes."""


class SlackGateway(Protocol):
    """What the app needs from Slack. Every method raises `DeliveryError` on failure."""

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> tuple[str, str]:
        """Returns (channel id, ts) of the new message; `broadcast` also shows a thread
        reply in the channel."""

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None
    ) -> None: ...

    def post_ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def permalink(self, channel: str, ts: str) -> str: ...

    def add_reaction(self, channel: str, ts: str, name: str) -> None: ...

    def download_file(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """A file shared in Slack. Raises `FileRefused` when it will not be fetched."""

    def open_view(self, trigger_id: str, view: dict) -> None: ...

    def publish_home(self, user: str, view: dict) -> None: ...


class LeadPipeline:
    def __init__(
        self,
        store: Repository,
        queue: WorkQueue,
        qualifier: Qualifier,
        rubrics: RubricHolder,
        gateway: SlackGateway,
        *,
        sales_channel: str | None,
        managers: Collection[str] = (),
        on_work: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.queue = queue
        self.qualifier = qualifier
        self.rubrics = rubrics
        self.gateway = gateway
        self.sales_channel = sales_channel
        self.managers = frozenset(managers)
        self.on_work = on_work
        self._permalinks: dict[tuple[str, str], str] = {}

    def work_handlers(self) -> dict[str, Callable[[WorkItem], None]]:
        return {
            WORK_PROCESS: self.process,
            WORK_REQUALIFY: self.requalify,
            WORK_REFRESH: self.refresh,
            WORK_NOTIFY: self.notify,
            WORK_EPHEMERAL: self.ephemeral,
            WORK_SLA_REMINDER: self.remind,
        }

    def check_routing(self) -> None:
        """Fail at start, not at the first lead, when some tier has nowhere to go."""
        if self.sales_channel:
            return
        unrouted = [tier.id for tier in self.rubrics.get().tiers if not tier.channel]
        if unrouted:
            raise ConfigurationError(
                f"set LEADBOT_SALES_CHANNEL: the rubric routes no channel for {', '.join(unrouted)}"
            )

    def is_manager(self, user: str) -> bool:
        return user in self.managers

    # --- intake (called before the ack) ----------------------------------------------------------

    def receive(
        self,
        lead: Lead,
        *,
        dedupe_key: str,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> tuple[StoredLead, bool]:
        """Store a lead and queue its processing. A redelivery returns the stored lead and
        queues nothing new. Returns (lead, created)."""
        stored, created = self.store.add_lead(
            lead, dedupe_key=dedupe_key, intake_channel=intake_channel, intake_ts=intake_ts
        )
        # Queued even for a redelivery: it re-creates the work if a crash came between the two.
        self._queue(WORK_PROCESS, stored.id, dedupe_key=f"process:{stored.id}")
        return stored, created

    def receive_many(
        self,
        leads: list[tuple[Lead, str]],
        *,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> list[tuple[StoredLead, Qualification, bool]]:
        """Store a batch of (lead, dedupe key), e.g. a CSV's rows, qualify the new ones with
        `qualify_many` (a model qualifier runs them concurrently), and queue their posting.
        Runs in the worker; run again it adds nothing. Returns (lead, qualification, created)."""
        received = [
            self.store.add_lead(
                lead, dedupe_key=key, intake_channel=intake_channel, intake_ts=intake_ts
            )
            for lead, key in leads
        ]
        results = []
        for start in range(0, len(received), QUALIFY_CHUNK):
            chunk = received[start : start + QUALIFY_CHUNK]
            qualifications = self._qualify_many([stored for stored, _ in chunk])
            for (stored, created), qualification in zip(chunk, qualifications, strict=True):
                self._queue(WORK_PROCESS, stored.id, dedupe_key=f"process:{stored.id}")
                results.append((stored, qualification, created))
        return results

    def lead_for_reply(self, channel: str, thread_ts: str, *, intake: bool) -> StoredLead | None:
        """The lead whose conversation thread this is: an intake message, or the thread the
        bot opened in the marketer's DM for a modal or shortcut lead."""
        if intake:
            stored = self.store.find_by_intake(channel, thread_ts)
            return stored if stored and stored.lead.source == SOURCE_MESSAGE else None
        return self.store.find_by_slack_message("thread", channel, thread_ts)

    def add_answer(self, stored: StoredLead, text: str, user: str, *, dedupe_key: str) -> bool:
        """Append a marketer's reply to the lead and queue re-qualification (once per reply)."""
        if stored.status == DISQUALIFIED or not text.strip():
            return False
        added = self.store.append_answer(
            stored.id, text.strip(), user, dedupe_key=dedupe_key, work_kind=WORK_REQUALIFY
        )
        if added:
            self.on_work()
        return added

    # --- buttons (called before the ack) ---------------------------------------------------------

    def claim(self, lead_id: int, user: str, channel: str) -> bool:
        """Exactly one rep wins; everyone else is told who did. Returns whether `user` won."""
        stored = self.store.get_lead(lead_id)
        if stored is None or stored.status == DISQUALIFIED:
            self.tell(channel, user, "This lead can no longer be claimed.")
            return False
        result = self.store.claim(lead_id, user)
        if not result.won:
            if result.claimed_by != user:  # a rep's own double click needs no answer
                self.tell(channel, user, blocks.already_claimed_text(result.claimed_by))
            return False
        self._changed(lead_id, blocks.claimed_reply_text(user))
        return True

    def release(self, lead_id: int, user: str, channel: str) -> bool:
        """Only the claimer or a manager may release; others are refused ephemerally."""
        stored = self.store.get_lead(lead_id)
        if stored is None or stored.claimed_by is None or stored.status == DISQUALIFIED:
            self.tell(channel, user, "This lead is not claimed.")
            return False
        manager = self.is_manager(user)
        if stored.claimed_by != user and not manager:
            self.tell(
                channel,
                user,
                f"Only <@{stored.claimed_by}> (who claimed it) or a manager can release this lead.",
            )
            return False
        if not self.store.release(lead_id, user, by_manager=manager):
            self.tell(channel, user, "This lead is not claimed any more.")
            return False
        self._changed(lead_id, blocks.released_reply_text(user))
        return True

    def disqualify_refusal(self, lead_id: int, user: str) -> str | None:
        """Why `user` may not disqualify the lead, or None when they may."""
        stored = self.store.get_lead(lead_id)
        if stored is None:
            return "This lead no longer exists."
        if stored.status == DISQUALIFIED:
            return "This lead is already disqualified."
        if stored.claimed_by and stored.claimed_by != user and not self.is_manager(user):
            return f"Only <@{stored.claimed_by}> (who claimed it) or a manager can disqualify it."
        return None

    def disqualify(self, lead_id: int, user: str, reason: str) -> str | None:
        """Disqualify with a rep's reason; returns a refusal instead when not allowed."""
        refusal = self.disqualify_refusal(lead_id, user)
        if refusal:
            return refusal
        self.store.set_status(lead_id, DISQUALIFIED, user, reason=reason)
        self._changed(lead_id, blocks.disqualified_by_rep_text(user, reason))
        return None

    def tell(self, channel: str, user: str, text: str) -> None:
        """An ephemeral message to one user, sent by the worker after the ack."""
        self._queue(WORK_EPHEMERAL, None, {"channel": channel, "user": user, "text": text})

    # --- work handlers (run by the worker, after the ack) --------------------------------------

    def process(self, item: WorkItem) -> None:
        """Qualify a new lead, post its summary and answer in the marketer's thread."""
        stored = self._lead(item)
        if stored is None:
            return
        rubric = self.rubrics.get()
        self._react_once(stored)
        qualification = self.store.latest_qualification(stored.id) or self._qualify(stored)
        if qualification.tier == DISQUALIFIED:
            self._say_once(
                stored, "intake_reply", blocks.disqualified_reply_text(qualification, rubric)
            )
            return
        channel, ts = self._post_summary_once(stored, qualification)
        self._schedule_reminder(stored, qualification)
        text = blocks.intake_reply_text(qualification, self._permalink(channel, ts))
        if qualification.missing:
            text += "\n\n" + blocks.questions_text(qualification, rubric)
        self._say_once(stored, "intake_reply", text)

    def requalify(self, item: WorkItem) -> None:
        """Re-qualify with the marketer's answers; the summary and the thread follow as work."""
        stored = self._lead(item)
        if stored is None:
            return
        qualification = self._qualify(stored)
        text = (
            f"Thanks <@{item.payload.get('actor')}>: re-qualified as "
            f"{blocks.tier_label(qualification.tier)}, score {qualification.score}/100."
        )
        if qualification.missing:
            text += "\n\n" + blocks.questions_text(qualification, self.rubrics.get())
        self._changed(stored.id, text)

    def refresh(self, item: WorkItem) -> None:
        """Re-render the summary in place from the database (claims, answers, disqualify)."""
        stored = self._lead(item)
        location = self.store.slack_message(stored.id, "summary") if stored else None
        qualification = self.store.latest_qualification(stored.id) if stored else None
        if stored is None or location is None or location[1] is None or qualification is None:
            return  # not posted yet: the process work will post the current state
        text, summary = self.render_summary(stored, qualification)
        self.gateway.update_message(location[0], location[1], text, blocks=summary)

    def notify(self, item: WorkItem) -> None:
        stored = self._lead(item)
        if stored is not None:
            self._say(stored, item.payload["text"])

    def remind(self, item: WorkItem) -> None:
        """The tier's claim SLA ran out: say so once in the summary's thread, unless the lead
        was claimed or disqualified in the meantime."""
        stored = self._lead(item)
        if stored is None or stored.claimed_by or stored.status == DISQUALIFIED:
            return
        location = self.store.slack_message(stored.id, "summary")
        if location is None or location[1] is None:
            return
        if self.store.latest_event(stored.id, WORK_SLA_REMINDER) is not None:
            return
        tier, minutes = item.payload["tier"], item.payload["sla_minutes"]
        self.gateway.post_message(
            location[0],
            blocks.sla_reminder_text(tier, minutes),
            thread_ts=location[1],
            broadcast=True,
        )
        self.store.add_event(stored.id, WORK_SLA_REMINDER, tier=tier, sla_minutes=minutes)

    def ephemeral(self, item: WorkItem) -> None:
        """Best effort: an ephemeral that still fails after a few tries is dropped."""
        payload = item.payload
        try:
            self.gateway.post_ephemeral(payload["channel"], payload["user"], payload["text"])
        except DeliveryError:
            if item.attempts < EPHEMERAL_ATTEMPTS:
                raise
            logger.warning("gave up on an ephemeral message to %s", payload["user"])

    # --- rendering ---------------------------------------------------------------------------

    def render_summary(
        self, stored: StoredLead, qualification: Qualification
    ) -> tuple[str, list[dict]]:
        """The summary's fallback text and blocks for the lead's current state."""
        disqualified = (
            self.store.latest_event(stored.id, DISQUALIFIED)
            if stored.status == DISQUALIFIED
            else None
        )
        disqualified_by = disqualified.actor if disqualified else None
        answered = self.store.latest_event(stored.id, "answered")
        original = None
        if stored.intake_channel and stored.intake_ts:
            original = self._permalink(stored.intake_channel, stored.intake_ts)
        summary = blocks.summary_blocks(
            qualification,
            stored.lead,
            rubric=self.rubrics.get(),
            lead_id=stored.id,
            claimed_by=stored.claimed_by,
            permalink=original,
            submitted_by=stored.lead.submitted_by,
            updated_by=answered.actor if answered else None,
            disqualified_by=disqualified_by,
            disqualify_reason=disqualified.data.get("reason") if disqualified else None,
        )
        text = blocks.summary_text(
            qualification,
            stored.lead,
            lead_id=stored.id,
            claimed_by=stored.claimed_by,
            disqualified_by=disqualified_by,
        )
        return text, summary

    def summary_channel(self, qualification: Qualification) -> str:
        tier = self.rubrics.get().tier(qualification.tier)
        channel = (tier.channel if tier else None) or self.sales_channel
        if not channel:
            raise ConfigurationError(f"no channel for tier {qualification.tier!r}")
        return channel

    # --- helpers -------------------------------------------------------------------------------

    def _queue(
        self, kind: str, lead_id: int | None, payload: dict | None = None, **options
    ) -> None:
        self.queue.enqueue(kind, lead_id, payload, **options)
        self.on_work()

    def _changed(self, lead_id: int, notice: str) -> None:
        """After a claim, release, disqualification or answer: update the summary, tell the
        marketer's thread."""
        self._queue(WORK_REFRESH, lead_id)
        self._queue(WORK_NOTIFY, lead_id, {"text": notice})

    def _schedule_reminder(self, stored: StoredLead, qualification: Qualification) -> None:
        """A reminder due when the tier's claim SLA runs out (once per lead, even when the
        summary's posting is retried)."""
        tier = self.rubrics.get().tier(qualification.tier)
        if tier is None or tier.sla_minutes is None or stored.claimed_by:
            return
        self._queue(
            WORK_SLA_REMINDER,
            stored.id,
            {"tier": tier.id, "sla_minutes": tier.sla_minutes},
            dedupe_key=f"sla:{stored.id}",
            delay=timedelta(minutes=tier.sla_minutes),
        )

    def _lead(self, item: WorkItem) -> StoredLead | None:
        stored = self.store.get_lead(item.lead_id) if item.lead_id is not None else None
        if stored is None:
            logger.error("work item %s names lead %s, which does not exist", item.id, item.lead_id)
        return stored

    def _qualify(self, stored: StoredLead) -> Qualification:
        qualification = self.qualifier.qualify(stored.lead, self.rubrics.get())
        self._save_qualification(stored, qualification)
        return qualification

    def _qualify_many(self, leads: list[StoredLead]) -> list[Qualification]:
        """Each lead's latest qualification; the leads without one are qualified together."""
        known = {stored.id: self.store.latest_qualification(stored.id) for stored in leads}
        new = [stored for stored in leads if known[stored.id] is None]
        if new:
            qualifications = self.qualifier.qualify_many(
                [stored.lead for stored in new], self.rubrics.get()
            )
            for stored, qualification in zip(new, qualifications, strict=True):
                self._save_qualification(stored, qualification)
                known[stored.id] = qualification
        return [known[stored.id] for stored in leads]

    def _save_qualification(self, stored: StoredLead, qualification: Qualification) -> None:
        self.store.add_qualification(stored.id, qualification)
        if stored.status == "received":
            status = DISQUALIFIED if qualification.tier == DISQUALIFIED else "qualified"
            self.store.set_status(stored.id, status, knockout=qualification.knockout)

    def _react_once(self, stored: StoredLead) -> None:
        """Show the marketer the lead arrived; not worth failing the lead over."""
        if stored.lead.source != SOURCE_MESSAGE or not stored.intake_channel:
            return
        if self.store.slack_message(stored.id, "reaction") is not None:
            return
        try:
            self.gateway.add_reaction(stored.intake_channel, stored.intake_ts, RECEIPT_REACTION)
        except DeliveryError as exc:
            if exc.error != "already_reacted":
                logger.warning("could not react to lead %s: %s", stored.id, exc)
                return
        self.store.save_slack_message(
            stored.id, "reaction", stored.intake_channel, stored.intake_ts
        )

    def _post_summary_once(
        self, stored: StoredLead, qualification: Qualification
    ) -> tuple[str, str]:
        location = self.store.slack_message(stored.id, "summary")
        if location and location[1]:
            return location[0], location[1]
        channel = self.summary_channel(qualification)
        text, summary = self.render_summary(stored, qualification)
        channel, ts = self.gateway.post_message(channel, text, blocks=summary)
        self.store.mark_posted(stored.id, channel, ts)
        return channel, ts

    def _say_once(self, stored: StoredLead, kind: str, text: str) -> None:
        if self.store.slack_message(stored.id, kind) is None:
            location = self._say(stored, text)
            if location:
                self.store.save_slack_message(stored.id, kind, *location)

    def _say(self, stored: StoredLead, text: str) -> tuple[str, str] | None:
        """Post in the marketer's thread: the intake message's thread for a dropped lead, else
        a thread the bot opens in the marketer's DM (the first message starts it). A CSV's
        leads say nothing each: the marketer got one reply for the whole file."""
        if stored.lead.source == SOURCE_CSV:
            return None
        if stored.lead.source == SOURCE_MESSAGE and stored.intake_channel and stored.intake_ts:
            return self.gateway.post_message(
                stored.intake_channel, text, thread_ts=stored.intake_ts
            )
        thread = self.store.slack_message(stored.id, "thread")
        if thread and thread[1]:
            return self.gateway.post_message(thread[0], text, thread_ts=thread[1])
        user = stored.lead.submitted_by
        if not user or not SLACK_USER_ID.match(user):
            return None  # a lead from the CLI or a file has nobody to tell in Slack
        channel, ts = self.gateway.post_message(user, text)
        self.store.save_slack_message(stored.id, "thread", channel, ts)
        return channel, ts

    def _permalink(self, channel: str, ts: str) -> str | None:
        """A message's permalink, or None when Slack cannot say (it is only a convenience)."""
        key = (channel, ts)
        if key not in self._permalinks:
            if len(self._permalinks) >= PERMALINK_CACHE_SIZE:
                self._permalinks.clear()
            try:
                self._permalinks[key] = self.gateway.permalink(channel, ts)
            except DeliveryError as exc:
                logger.warning("no permalink for %s/%s: %s", channel, ts, exc)
                return None
        return self._permalinks[key]
