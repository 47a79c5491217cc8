"""Deliver a lead to Slack: post its summary once, answer the marketer, keep the summary
current, remind when a claim SLA runs out. These are the worker's handlers, run after the
ack; each is safe to run again after a failure: a summary is posted once (its location is
recorded and checked first) and edits re-render the whole message from the database.

Slack is called outside any transaction: state is read in one unit of work, the gateway is
called, and what Slack answered is recorded in the next.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain.lifecycle import (
    EventKind,
    LeadSource,
    LeadStatus,
    MessageKind,
    is_knocked_out,
    is_slack_user_id,
    unrouted_tiers,
)
from bot.domain.work import (
    Handler,
    NotifyThread,
    ProcessLead,
    RefreshSummary,
    Requalify,
    SendEphemeral,
    SlaReminder,
    WorkMessage,
    tier_priority,
)
from bot.errors import ConfigurationError
from bot.render import summary as render
from bot.render.work import lead_not_posted_text
from bot.services.gateway import DeliveryError, SlackGateway
from bot.services.notices import changed
from bot.services.qualify import QualifyService
from bot.services.rubric_holder import RubricHolder
from bot.store.repository import StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Qualification

logger = logging.getLogger(__name__)

RECEIPT_REACTION = "inbox_tray"
EPHEMERAL_ATTEMPTS = 3
PERMALINK_CACHE_SIZE = 10_000


class DeliverService:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        qualify: QualifyService,
        rubrics: RubricHolder,
        *,
        sales_channel: str | None,
    ):
        self.uow = uow
        self.gateway = gateway
        self.qualify = qualify
        self.rubrics = rubrics
        self.sales_channel = sales_channel
        self._permalinks: dict[tuple[str, str], str] = {}

    def work_handlers(self) -> dict[type[WorkMessage], Handler]:
        return {
            ProcessLead: self.process,
            Requalify: self.requalify,
            RefreshSummary: self.refresh,
            NotifyThread: self.notify,
            SendEphemeral: self.ephemeral,
            SlaReminder: self.remind,
        }

    def check_routing(self) -> None:
        """Fail at start, not at the first lead, when some tier has nowhere to go."""
        unrouted = unrouted_tiers(self.rubrics.get(), self.sales_channel)
        if unrouted:
            raise ConfigurationError(
                f"set LEADBOT_SALES_CHANNEL: the rubric routes no channel for {', '.join(unrouted)}"
            )

    # --- work handlers -------------------------------------------------------------------------

    def process(self, message: ProcessLead, _attempts: int = 1) -> None:
        """Qualify a new lead, post its summary and answer in the marketer's thread."""
        stored = self._lead(message.lead_id)
        if stored is None:
            return
        rubric = self.rubrics.get()
        self._react_once(stored)
        qualification = self.qualify.latest_or_qualify(stored)
        if is_knocked_out(qualification):
            text = render.disqualified_reply_text(qualification, rubric)
            self._say_once(stored, MessageKind.INTAKE_REPLY, text)
            return
        channel, ts = self._post_summary_once(stored, qualification)
        self._schedule_reminder(stored, qualification)
        text = render.intake_reply_text(qualification, self._permalink(channel, ts))
        if qualification.missing:
            text += "\n\n" + render.questions_text(qualification, rubric)
        self._say_once(stored, MessageKind.INTAKE_REPLY, text)

    def requalify(self, message: Requalify, _attempts: int = 1) -> None:
        """Re-qualify with the marketer's answers; the summary and the thread follow as work."""
        stored = self._lead(message.lead_id)
        if stored is None:
            return
        qualification = self.qualify.qualify(stored)
        text = (
            f"Thanks <@{message.actor}>: re-qualified as "
            f"{render.tier_label(qualification.tier)}, score {qualification.score}/100."
        )
        if qualification.missing:
            text += "\n\n" + render.questions_text(qualification, self.rubrics.get())
        with self.uow as tx:
            changed(tx, stored.id, text)

    def refresh(self, message: RefreshSummary, _attempts: int = 1) -> None:
        """Re-render the summary in place from the database (claims, answers, disqualify)."""
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            location = tx.leads.slack_message(stored.id, MessageKind.SUMMARY) if stored else None
            qualification = tx.leads.latest_qualification(stored.id) if stored else None
        if stored is None or location is None or location[1] is None or qualification is None:
            return  # not posted yet: the process work will post the current state
        text, summary = self.render_summary(stored, qualification)
        self.gateway.update_message(location[0], location[1], text, blocks=summary)

    def notify(self, message: NotifyThread, _attempts: int = 1) -> None:
        stored = self._lead(message.lead_id)
        if stored is not None:
            self._say(stored, message.text)

    def remind(self, message: SlaReminder, _attempts: int = 1) -> None:
        """The tier's claim SLA ran out: say so once in the summary's thread, unless the lead
        was claimed or disqualified in the meantime."""
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            if stored is None or stored.claimed_by or stored.status == LeadStatus.DISQUALIFIED:
                return
            location = tx.leads.slack_message(stored.id, MessageKind.SUMMARY)
            reminded = tx.leads.latest_event(stored.id, EventKind.SLA_REMINDER) is not None
        if location is None or location[1] is None or reminded:
            return
        self.gateway.post_message(
            location[0],
            render.sla_reminder_text(message.tier, message.sla_minutes),
            thread_ts=location[1],
            broadcast=True,
        )
        with self.uow as tx:
            tx.leads.add_event(
                stored.id,
                EventKind.SLA_REMINDER,
                tier=message.tier,
                sla_minutes=message.sla_minutes,
            )

    def ephemeral(self, message: SendEphemeral, attempts: int = 1) -> None:
        """Best effort: an ephemeral that still fails after a few tries is dropped."""
        try:
            self.gateway.post_ephemeral(message.channel, message.user, message.text)
        except DeliveryError:
            if attempts < EPHEMERAL_ATTEMPTS:
                raise
            logger.warning("gave up on an ephemeral message to %s", message.user)

    def failed(self, message: WorkMessage, error: str) -> None:
        """Work stopped for good: when it was a lead's posting, say so in its thread."""
        if not isinstance(message, ProcessLead):
            return
        stored = self._lead(message.lead_id)
        if stored is not None:
            self._say(stored, lead_not_posted_text(error))

    # --- rendering -----------------------------------------------------------------------------

    def render_summary(
        self, stored: StoredLead, qualification: Qualification
    ) -> tuple[str, list[dict]]:
        """The summary's fallback text and blocks for the lead's current state."""
        with self.uow as tx:
            disqualified = (
                tx.leads.latest_event(stored.id, EventKind.DISQUALIFIED)
                if stored.status == LeadStatus.DISQUALIFIED
                else None
            )
            answered = tx.leads.latest_event(stored.id, EventKind.ANSWERED)
        disqualified_by = disqualified.actor if disqualified else None
        original = None
        if stored.intake_channel and stored.intake_ts:
            original = self._permalink(stored.intake_channel, stored.intake_ts)
        summary = render.summary_blocks(
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
        text = render.summary_text(
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

    def _lead(self, lead_id: int) -> StoredLead | None:
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
        if stored is None:
            logger.error("work names lead %s, which does not exist", lead_id)
        return stored

    def _schedule_reminder(self, stored: StoredLead, qualification: Qualification) -> None:
        """A reminder due when the tier's claim SLA runs out (once per lead, even when the
        summary's posting is retried)."""
        tier = self.rubrics.get().tier(qualification.tier)
        if tier is None or tier.sla_minutes is None or stored.claimed_by:
            return
        tier_ids = [t.id for t in self.rubrics.get().tiers]
        with self.uow as tx:
            tx.work.add(
                SlaReminder(lead_id=stored.id, tier=tier.id, sla_minutes=tier.sla_minutes),
                dedupe_key=f"sla:{stored.id}",
                delay=timedelta(minutes=tier.sla_minutes),
                priority=tier_priority(tier_ids, tier.id),
            )

    def _react_once(self, stored: StoredLead) -> None:
        """Show the marketer the lead arrived; not worth failing the lead over."""
        if stored.lead.source != LeadSource.SLACK_MESSAGE or not stored.intake_channel:
            return
        if self._location(stored, MessageKind.REACTION) is not None:
            return
        try:
            self.gateway.add_reaction(stored.intake_channel, stored.intake_ts, RECEIPT_REACTION)
        except DeliveryError as exc:
            if exc.error != "already_reacted":
                logger.warning("could not react to lead %s: %s", stored.id, exc)
                return
        self._record(stored, MessageKind.REACTION, stored.intake_channel, stored.intake_ts)

    def _post_summary_once(
        self, stored: StoredLead, qualification: Qualification
    ) -> tuple[str, str]:
        location = self._location(stored, MessageKind.SUMMARY)
        if location and location[1]:
            return location[0], location[1]
        channel = self.summary_channel(qualification)
        text, summary = self.render_summary(stored, qualification)
        channel, ts = self.gateway.post_message(channel, text, blocks=summary)
        with self.uow as tx:
            tx.leads.mark_posted(stored.id, channel, ts)
        return channel, ts

    def _say_once(self, stored: StoredLead, kind: MessageKind, text: str) -> None:
        if self._location(stored, kind) is None:
            location = self._say(stored, text)
            if location:
                self._record(stored, kind, *location)

    def _say(self, stored: StoredLead, text: str) -> tuple[str, str] | None:
        """Post in the marketer's thread: the intake message's thread for a dropped lead, else
        a thread the bot opens in the marketer's DM (the first message starts it). A CSV's
        leads say nothing each: the marketer got one reply for the whole file."""
        source = stored.lead.source
        if source == LeadSource.SLACK_CSV:
            return None
        if source == LeadSource.SLACK_MESSAGE and stored.intake_channel and stored.intake_ts:
            return self.gateway.post_message(
                stored.intake_channel, text, thread_ts=stored.intake_ts
            )
        thread = self._location(stored, MessageKind.THREAD)
        if thread and thread[1]:
            return self.gateway.post_message(thread[0], text, thread_ts=thread[1])
        user = stored.lead.submitted_by
        if not is_slack_user_id(user):
            return None  # a lead from the CLI or a file has nobody to tell in Slack
        channel, ts = self.gateway.post_message(user, text)
        self._record(stored, MessageKind.THREAD, channel, ts)
        return channel, ts

    def _location(self, stored: StoredLead, kind: MessageKind) -> tuple[str, str | None] | None:
        with self.uow as tx:
            return tx.leads.slack_message(stored.id, kind)

    def _record(self, stored: StoredLead, kind: MessageKind, channel: str, ts: str | None) -> None:
        with self.uow as tx:
            tx.leads.save_slack_message(stored.id, kind, channel, ts)

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
