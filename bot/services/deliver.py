"""Deliver a lead to Slack: post its summary once, answer the marketer, keep the summary
current, remind when a claim SLA runs out. These are the worker's handlers, run after the
ack; each is safe to run again after a failure: every message is posted once
(`MessagePoster`: named in its metadata, looked for in Slack before a retry posts it) and
edits re-render the whole message from the database.

Slack is called outside any transaction: state is read in one unit of work, the gateway is
called, and what Slack answered is recorded in the next.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.domain.lifecycle import (
    CLOSED,
    UNPOSTED,
    EventKind,
    LeadSource,
    LeadStatus,
    MessageKind,
    has_lead_signal,
    is_knocked_out,
    is_slack_user_id,
    mentioned_users,
    unrouted_tiers,
)
from bot.domain.work import (
    Handler,
    NotifyThread,
    NotifyUser,
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
from bot.render.identity import lead_title
from bot.render.work import lead_not_posted_text
from bot.services.assignment import AssignmentService
from bot.services.gateway import DeliveryError, SlackGateway
from bot.services.notices import changed, post_now, tell_claimer
from bot.services.posting import MessagePoster
from bot.services.qualify import QualifyService
from bot.services.rubric_holder import RubricHolder
from bot.store.database import utcnow
from bot.store.posts import PostIntent
from bot.store.repository import StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.hours import due_after
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
        poster: MessagePoster,
        *,
        sales_channel: str | None,
        assignment: AssignmentService | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.uow = uow
        self.assignment = assignment
        self.clock = clock
        self.gateway = gateway
        self.poster = poster
        self.qualify = qualify
        self.rubrics = rubrics
        self.sales_channel = sales_channel
        self._permalinks: dict[tuple[str, str], str] = {}
        self._user_names: dict[str, str] = {}

    def work_handlers(self) -> dict[type[WorkMessage], Handler]:
        return {
            ProcessLead: self.process,
            Requalify: self.requalify,
            RefreshSummary: self.refresh,
            NotifyThread: self.notify,
            NotifyUser: self.notify_user,
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
        """Qualify a new lead, post its summary and answer in the marketer's thread. A
        message with no lead signal gets a "Qualify as lead" button instead."""
        stored = self._lead(message.lead_id)
        if stored is None or stored.status == LeadStatus.WITHDRAWN:
            return
        rubric = self.rubrics.get()
        qualification = self.qualify.latest_or_qualify(stored)
        if self._held_back(stored, qualification):
            if self._location(stored, MessageKind.NOT_A_LEAD) is None:
                blocks = render.with_button(
                    render.not_a_lead_text(),
                    "Qualify as lead",
                    render.ACTION_CONFIRM_LEAD,
                    stored.id,
                )
                self._say_once(stored, MessageKind.NOT_A_LEAD, render.not_a_lead_text(), blocks)
            return
        self._react_once(stored)
        if is_knocked_out(qualification):
            text = render.disqualified_reply_text(qualification, rubric)
            blocks = render.knockout_reply_blocks(text, stored.id)
            self._say_once(stored, MessageKind.INTAKE_REPLY, text, blocks)
            return
        digest = (message.digest_channel, message.digest_ts) if message.digest_ts else None
        channel, ts = self._post_summary_once(stored, qualification, digest)
        self._schedule_reminder(stored, qualification, message.digest_ts)
        text = render.intake_reply_text(
            qualification, self._permalink(channel, ts), lead_title(stored.lead, stored.id)
        )
        if qualification.missing:
            text += "\n\n" + render.questions_text(qualification, rubric)
        self._say_once(stored, MessageKind.INTAKE_REPLY, text)

    def requalify(self, message: Requalify, _attempts: int = 1) -> None:
        """Qualify again after an answer in the thread or an edit. A reply that answers
        nothing (chit-chat) changes nothing; a knockout takes the lead off sales (its claim
        ends, the claimer is told); a knockout the rubric no longer finds is lifted."""
        stored = self._lead(message.lead_id)
        if stored is None or stored.status == LeadStatus.WITHDRAWN:
            return
        if message.answer is not None and not self._record_answer(stored, message):
            return
        rubric = self.rubrics.get()
        qualification = self.qualify.qualify(stored)
        title = lead_title(stored.lead, stored.id)
        with self.uow as tx:
            current = tx.leads.get_lead(stored.id)
            disqualified = tx.leads.latest_event(stored.id, EventKind.DISQUALIFIED)
            by_rubric = current.status == LeadStatus.DISQUALIFIED and (
                disqualified is None or disqualified.actor is None
            )
            if is_knocked_out(qualification) and current.status not in CLOSED:
                label = render.knockout_label(rubric, qualification.knockout or "")
                tx.leads.set_status(
                    stored.id, LeadStatus.DISQUALIFIED, knockout=qualification.knockout
                )
                text = render.knocked_out_after_requalify_text(qualification, rubric)
                changed(tx, stored.id, text, render.knockout_reply_blocks(text, stored.id))
                ended = render.claim_knocked_out_text(title, label)
                tell_claimer(tx, stored.id, current.claimed_by, None, ended)
                return
            if current.status in UNPOSTED:
                post_now(tx, stored.id)  # not posted yet (held back): decide again
                return
            if not is_knocked_out(qualification) and by_rubric:
                tx.leads.set_status(stored.id, LeadStatus.QUALIFIED, message.actor, lifted=True)
                post_now(tx, stored.id)
            if current.status == LeadStatus.DISQUALIFIED and not by_rubric:
                return  # a rep's decision stands; the answer is on record
            text = render.requalified_text(
                qualification,
                message.actor,
                edited=message.edited,
                title=title,
                merged_from=message.merged_from,
            )
            if qualification.missing and not is_knocked_out(qualification):
                text += "\n\n" + render.questions_text(qualification, rubric)
            changed(tx, stored.id, text)

    def _record_answer(self, stored: StoredLead, message: Requalify) -> bool:
        """Keep a thread reply that answers something (a value for a criterion, or a knockout
        statement), once; returns whether it did."""
        found = self.qualify.answers_in(message.answer or "")
        if not found.answers and not found.knockouts:
            return False
        with self.uow as tx:
            known = tx.leads.events(stored.id, EventKind.ANSWERED)
            if any(event.data.get("key") == message.answer_key for event in known):
                return True  # a retry after the answer was recorded
            tx.leads.add_answer(
                stored.id,
                message.answer,
                message.actor,
                key=message.answer_key,
                answers={cid: a.model_dump(mode="json") for cid, a in found.answers.items()},
                knockouts=[hit.model_dump(mode="json") for hit in found.knockouts],
            )
        return True

    def _held_back(self, stored: StoredLead, qualification: Qualification) -> bool:
        """A message in an intake channel with no lead signal, not confirmed as a lead."""
        if stored.lead.source != LeadSource.SLACK_MESSAGE or has_lead_signal(
            qualification, stored.lead
        ):
            return False
        with self.uow as tx:
            return tx.leads.latest_event(stored.id, EventKind.CONFIRMED) is None

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
            notice = message.notice_id or hashlib.sha256(message.text.encode()).hexdigest()[:16]
            self._say(
                stored,
                message.text,
                f"notice:{stored.id}:{notice}",
                MessageKind.NOTICE,
                blocks=message.blocks,
            )

    def notify_user(self, message: NotifyUser, _attempts: int = 1) -> None:
        """A direct message (the DM with the bot) to a rep, e.g. whose claim was ended."""
        self.gateway.post_message(message.user, message.text)

    def remind(self, message: SlaReminder, _attempts: int = 1) -> None:
        """The tier's claim SLA ran out: say so once in the summary's thread (also shown in
        the channel, except in a CSV digest's thread), unless the lead was claimed or
        disqualified in the meantime."""
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            if stored is None or stored.claimed_by or stored.status == LeadStatus.DISQUALIFIED:
                return
            location = tx.leads.slack_message(stored.id, MessageKind.SUMMARY)
            reminded = tx.leads.latest_event(stored.id, EventKind.SLA_REMINDER) is not None
        if location is None or location[1] is None or reminded:
            return
        intent = PostIntent(
            key=f"sla:{stored.id}",
            kind=MessageKind.SLA_REMINDER,
            lead_id=stored.id,
            channel=location[0],
            thread_ts=message.thread_ts or location[1],
        )
        self.poster.post(
            intent,
            render.sla_reminder_text(message.tier, message.sla_minutes),
            broadcast=message.thread_ts is None,  # a CSV digest's thread stays in its thread
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
            text = lead_not_posted_text(error)
            self._say(stored, text, f"notice:{stored.id}:not_posted", MessageKind.NOTICE)

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
            answers = tx.leads.events(stored.id, EventKind.ANSWERED)
            edited = tx.leads.latest_event(stored.id, EventKind.EDITED)
        disqualified_by = disqualified.actor if disqualified else None
        answered_by = {
            criterion_id: event.actor
            for event in answers
            if event.actor
            for criterion_id in event.data.get("answers") or {}
        }
        original = None
        if stored.intake_channel and stored.intake_ts:
            original = self._permalink(stored.intake_channel, stored.intake_ts)
        people = [stored.lead.submitted_by, stored.claimed_by, disqualified_by]
        people += [edited.actor if edited else None, *(event.actor for event in answers)]
        people += mentioned_users(stored.lead.text)
        names = self._names(people)
        summary = render.summary_blocks(
            qualification,
            stored.lead,
            rubric=self.rubrics.get(),
            lead_id=stored.id,
            claimed_by=stored.claimed_by,
            permalink=original,
            submitted_by=stored.lead.submitted_by,
            disqualified_by=disqualified_by,
            disqualify_reason=disqualified.data.get("reason") if disqualified else None,
            status=stored.status,
            edited_by=edited.actor if edited else None,
            answers=[(event.actor, event.data["text"]) for event in answers],
            answered_by=answered_by,
            names=names,
        )
        text = render.summary_text(
            qualification,
            stored.lead,
            lead_id=stored.id,
            claimed_by=stored.claimed_by,
            disqualified_by=disqualified_by,
            status=stored.status,
            names=names,
        )
        return text, summary

    def _names(self, users: Iterable[str | None]) -> dict[str, str]:
        """Slack users' names (users.info, cached); a user Slack cannot name is left out
        and shown as a mention."""
        names = {}
        for user in filter(is_slack_user_id, set(users)):
            if user not in self._user_names:
                if len(self._user_names) >= PERMALINK_CACHE_SIZE:
                    self._user_names.clear()
                try:
                    self._user_names[user] = self.gateway.user_name(user)
                except DeliveryError as exc:
                    logger.warning("no name for %s: %s", user, exc)
                    continue
            names[user] = self._user_names[user]
        return names

    def summary_channel(self, qualification: Qualification) -> str:
        tier = self.rubrics.get().tier(qualification.tier)
        channel = (tier.channel if tier else None) or self.sales_channel
        if not channel:
            raise ConfigurationError(f"no channel for tier {qualification.tier!r}")
        return channel

    def is_hot(self, qualification: Qualification) -> bool:
        """The rubric's top tier: posted first when a channel is busy."""
        tiers = self.rubrics.get().tiers
        return bool(tiers) and qualification.tier == tiers[0].id

    def reconcile(self) -> int:
        """On start: record the messages earlier runs posted without recording them."""
        return self.poster.reconcile()

    def digest_channel(self) -> str:
        """Where a CSV drop's digest goes: the sales channel, else the lowest tier's channel
        (`check_routing` made sure every tier has one)."""
        tiers = self.rubrics.get().tiers
        channel = self.sales_channel or (tiers[-1].channel if tiers else None)
        if not channel:
            raise ConfigurationError("set LEADBOT_SALES_CHANNEL: CSV digests go there")
        return channel

    # --- helpers -------------------------------------------------------------------------------

    def _lead(self, lead_id: int) -> StoredLead | None:
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
        if stored is None:
            logger.error("work names lead %s, which does not exist", lead_id)
        return stored

    def _schedule_reminder(
        self, stored: StoredLead, qualification: Qualification, thread_ts: str | None
    ) -> None:
        """A reminder due when the tier's claim SLA runs out, in working minutes (once per
        lead, even when the summary's posting is retried); round-robin and escalation."""
        rubric = self.rubrics.get()
        tier = rubric.tier(qualification.tier)
        if tier is None or stored.claimed_by:
            return
        now = self.clock()
        tier_ids = [t.id for t in rubric.tiers]
        with self.uow as tx:
            if self.assignment is not None:
                self.assignment.schedule(tx, stored, tier, now)
            if tier.sla_minutes is None:
                return
            due = due_after(rubric.business_hours, now, tier.sla_minutes)
            tx.work.add(
                SlaReminder(
                    lead_id=stored.id,
                    tier=tier.id,
                    sla_minutes=tier.sla_minutes,
                    thread_ts=thread_ts,
                ),
                dedupe_key=f"sla:{stored.id}",
                delay=due - now,
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
        self,
        stored: StoredLead,
        qualification: Qualification,
        digest: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """Post the summary in the tier's channel, or in a CSV digest's thread."""
        location = self._location(stored, MessageKind.SUMMARY)
        if location and location[1]:
            return location[0], location[1]
        channel, thread_ts = digest or (self.summary_channel(qualification), None)
        text, summary = self.render_summary(stored, qualification)
        intent = PostIntent(
            key=f"summary:{stored.id}",
            kind=MessageKind.SUMMARY,
            lead_id=stored.id,
            channel=channel,
            thread_ts=thread_ts,
        )
        # the poster records the location and moves the lead to `posted`
        # Paced, it waits behind new leads (their tier unknown: maybe hot) and hotter tiers.
        tier_ids = [tier.id for tier in self.rubrics.get().tiers]
        behind = tier_priority(tier_ids, qualification.tier) - tier_priority(tier_ids, tier_ids[0])
        return self.poster.post(
            intent, text, blocks=summary, urgent=self.is_hot(qualification), priority=behind
        )

    def _say_once(
        self, stored: StoredLead, kind: MessageKind, text: str, blocks: list[dict] | None = None
    ) -> None:
        if self._location(stored, kind) is None:
            location = self._say(stored, text, f"{kind}:{stored.id}", kind, blocks=blocks)
            if location:
                self._record(stored, kind, *location)

    def _say(
        self,
        stored: StoredLead,
        text: str,
        key: str,
        kind: MessageKind,
        blocks: list[dict] | None = None,
    ) -> tuple[str, str] | None:
        """Post in the marketer's thread: the intake message's thread for a dropped lead, else
        a thread the bot opens in the marketer's DM (the first message starts it). A CSV's
        leads say nothing each: the marketer got one reply for the whole file."""
        source = stored.lead.source
        if source == LeadSource.SLACK_CSV:
            return None
        if source == LeadSource.SLACK_MESSAGE and stored.intake_channel and stored.intake_ts:
            channel, thread_ts = stored.intake_channel, stored.intake_ts
        elif (thread := self._location(stored, MessageKind.THREAD)) and thread[1]:
            channel, thread_ts = thread
        elif is_slack_user_id(stored.lead.submitted_by):
            channel, thread_ts = stored.lead.submitted_by, None  # opens the DM thread
        else:
            return None  # a lead from the CLI or a file has nobody to tell in Slack
        intent = PostIntent(
            key=key, kind=kind, lead_id=stored.id, channel=channel, thread_ts=thread_ts
        )
        return self.poster.post(intent, text, blocks=blocks)

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
