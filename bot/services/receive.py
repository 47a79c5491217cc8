"""Receive leads: store a lead and queue its processing in one transaction, before Slack
(or a webhook caller) is answered; take the marketer's follow-up answers; read CSV drops.

A redelivered message finds its lead stored and queues nothing new: the lead and its work
item are written together or not at all, so no crash can leave a lead without its work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.lifecycle import CLOSED, LeadSource, LeadStatus, MessageKind
from bot.domain.permissions import Managers, may_answer
from bot.domain.work import Handler, ReadCsvDrop, Requalify, WorkMessage, tier_priority
from bot.errors import UserError
from bot.intake.csv_drop import FileDrop, is_csv, read_drop, row_dedupe_key, without_file_name
from bot.render.drops import drop_reply_text, refusal_text
from bot.render.identity import lead_email, lead_title
from bot.render.summary import claim_withdrawn_text
from bot.services.csv_drops import CsvDropService
from bot.services.gateway import DeliveryError, FileRefused, SlackGateway
from bot.services.group_commit import GroupCommit
from bot.services.notices import PROCESSING, changed, queue_processing, tell_claimer
from bot.services.qualify import QualifyService
from bot.store.database import utcnow
from bot.store.repository import Arrival, StoredLead
from bot.store.unit_of_work import Transaction, UnitOfWork
from qualifiers.models import Lead, Qualification

FILE_GONE_ERRORS = frozenset({"file_not_found", "file_deleted", "access_denied"})
QUALIFY_CHUNK = 50  # leads of a batch qualified together before their summaries are queued


@dataclass(frozen=True)
class Submission:
    """What became of a lead another system sent: a new lead, the same one sent again
    (`conflict` when its content differs), or `merged` into the same person's lead."""

    lead: StoredLead
    created: bool
    merged: bool = False
    conflict: bool = False


class ReceiveService:
    def __init__(
        self,
        uow: UnitOfWork,
        qualify: QualifyService,
        gateway: SlackGateway,
        drops: CsvDropService,
        managers: Managers | None = None,
        *,
        same_person_window: timedelta | None = None,
    ):
        self.uow = uow
        self.qualify = qualify
        self.gateway = gateway
        self.drops = drops
        self.managers = managers or Managers()
        self.same_person_window = same_person_window  # None: every submission is its own lead
        self._arrivals = GroupCommit(self._store_arrivals)

    def work_handlers(self) -> dict[type[WorkMessage], Handler]:
        return {ReadCsvDrop: self.read_csv_drop}

    def receive(
        self,
        lead: Lead,
        *,
        dedupe_key: str,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> tuple[StoredLead, bool]:
        """Store a lead and queue its processing; returns (lead, created) once both are
        committed. Leads arriving at the same time (a burst of acks) share one transaction."""
        return self._arrivals.submit(Arrival(lead, dedupe_key, intake_channel, intake_ts))

    def _store_arrivals(self, arrivals: list[Arrival]) -> list[tuple[StoredLead, bool]]:
        return self.uow.store_arrivals(arrivals, PROCESSING)

    def receive_submission(self, lead: Lead, *, dedupe_key: str) -> Submission:
        """A lead sent by another system (the webhook). Sent again under the same key it is
        the same lead, or a conflict when what it says differs; the same person (e-mail)
        from another source within `same_person_window` joins that lead (both submissions
        kept, re-qualified) instead of making a second one."""
        with self.uow as tx:
            known = tx.leads.find_submission(dedupe_key)
            if known is not None:
                stored, sent = known
                return Submission(stored, created=False, conflict=not same_content(sent, lead))
            person = self._same_person(tx, lead)
            if person is not None:
                tx.leads.merge_submission(person.id, lead, dedupe_key)
                tx.work.add(
                    Requalify(lead_id=person.id, actor=lead.submitted_by, merged_from=lead.source)
                )
                return Submission(tx.leads.get_lead(person.id), created=False, merged=True)
            stored, created = tx.leads.add_lead(lead, dedupe_key=dedupe_key)
            queue_processing(tx, stored.id)
            return Submission(stored, created)

    def _same_person(self, tx: Transaction, lead: Lead) -> StoredLead | None:
        email = lead_email(lead)
        if email is None or self.same_person_window is None:
            return None
        for candidate in tx.leads.find_by_email(email, utcnow() - self.same_person_window):
            if (
                candidate.lead.source != lead.source
                and candidate.status != LeadStatus.WITHDRAWN
                and lead_email(candidate.lead) == email
            ):
                return candidate
        return None

    def receive_many(
        self,
        leads: list[tuple[Lead, str]],
        *,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
        queue: bool = True,
    ) -> list[tuple[StoredLead, Qualification, bool]]:
        """Store a batch of (lead, dedupe key), e.g. a CSV's rows, qualify the new ones in
        chunks, and queue their posting (unless `queue` is false: a CSV drop queues its rows
        after posting its digest). Run again it adds nothing.
        Returns (lead, qualification, created) per row."""
        with self.uow as tx:
            received = tx.leads.add_leads(
                [lead for lead, _ in leads],
                [key for _, key in leads],
                intake_channel=intake_channel,
                intake_ts=intake_ts,
            )
        results = []
        for start in range(0, len(received), QUALIFY_CHUNK):
            chunk = received[start : start + QUALIFY_CHUNK]
            qualifications = self.qualify.qualify_many([stored for stored, _ in chunk])
            if queue:
                tier_ids = [tier.id for tier in self.qualify.rubrics.get().tiers]
                with self.uow as tx:
                    for (stored, _), qualification in zip(chunk, qualifications, strict=True):
                        priority = tier_priority(tier_ids, qualification.tier)
                        queue_processing(tx, stored.id, priority=priority)
            for (stored, created), qualification in zip(chunk, qualifications, strict=True):
                results.append((stored, qualification, created))
        return results

    def lead_for_reply(self, channel: str, thread_ts: str, *, intake: bool) -> StoredLead | None:
        """The lead whose conversation thread this is: an intake message, or the thread the
        bot opened in the marketer's DM for a modal or shortcut lead."""
        with self.uow as tx:
            if intake:
                stored = tx.leads.find_by_intake(channel, thread_ts)
                return stored if stored and stored.lead.source == LeadSource.SLACK_MESSAGE else None
            return tx.leads.find_by_slack_message(MessageKind.THREAD, channel, thread_ts)

    def add_answer(self, stored: StoredLead, text: str, user: str, *, dedupe_key: str) -> bool:
        """Queue a thread reply to be read as an answer, once per reply (a redelivered Slack
        reply adds nothing). Only the submitter's, the claimer's or a manager's replies can
        answer; the worker keeps only those that answer something. Returns whether queued."""
        manager = user in self.managers
        if stored.status in CLOSED or not text.strip():
            return False
        if not may_answer(
            user,
            submitted_by=stored.lead.submitted_by,
            claimed_by=stored.claimed_by,
            manager=manager,
        ):
            return False
        answer = Requalify(
            lead_id=stored.id, actor=user, answer=text.strip(), answer_key=dedupe_key
        )
        with self.uow as tx:
            return tx.work.add(answer, dedupe_key=dedupe_key)

    def revise(self, channel: str, ts: str, lead: Lead, user: str | None, *, edit_key: str) -> bool:
        """The intake message was edited: the lead takes its new words and is qualified again
        (its summary is updated in place). Returns whether it changed anything."""
        with self.uow as tx:
            stored = tx.leads.find_by_intake(channel, ts)
            if stored is None or stored.status == LeadStatus.WITHDRAWN:
                return False
            if (stored.lead.text, stored.lead.fields) == (lead.text, lead.fields):
                return False  # Slack also reports thread and unfurl changes as edits
            if not tx.work.add(
                Requalify(lead_id=stored.id, actor=user, edited=True), dedupe_key=edit_key
            ):
                return False
            tx.leads.revise(stored.id, lead.text, lead.fields, user)
        return True

    def withdraw(self, channel: str, ts: str) -> bool:
        """The intake message was deleted: the lead is withdrawn, its summary loses its
        buttons and its claimer is told. Returns whether a lead was withdrawn."""
        with self.uow as tx:
            stored = tx.leads.find_by_intake(channel, ts)
            if stored is None or stored.status == LeadStatus.WITHDRAWN:
                return False
            tx.leads.set_status(stored.id, LeadStatus.WITHDRAWN)
            changed(tx, stored.id, None)
            ended = claim_withdrawn_text(lead_title(stored.lead, stored.id))
            tell_claimer(tx, stored.id, stored.claimed_by, None, ended)
        return True

    # --- CSV drops -----------------------------------------------------------------------------

    def receive_file(self, drop: FileDrop) -> None:
        """Queue a shared file, once per message and file (called before the ack)."""
        with self.uow as tx:
            tx.work.add(
                ReadCsvDrop(**drop.model_dump(mode="json")),
                dedupe_key=f"file:{drop.channel}:{drop.ts}:{drop.file.id}",
            )

    def read_csv_drop(self, message: ReadCsvDrop, _attempts: int) -> None:
        """Download and read the file, store and qualify its rows, post its digest
        (`CsvDropService`), answer in its thread. A file that cannot be read, or that has
        more rows than allowed without confirmation, stores nothing; the reply says why."""
        drop = FileDrop.model_validate(message.model_dump(exclude={"lead_id", "confirmed"}))
        try:
            drop = self._complete(drop)
            if drop.text_is_lead and not is_csv(drop.file):
                return  # a screenshot beside a lead's text: the text is the lead
            entries = read_drop(drop, self.gateway)
        except (FileRefused, UserError) as exc:
            reason = without_file_name(str(exc), drop.name)
            self.drops.reply(drop, refusal_text(drop.name, reason), confirmed=message.confirmed)
            return
        if not entries:
            reason = "It has a header row but no rows of leads under it."
            self.drops.reply(drop, refusal_text(drop.name, reason), confirmed=message.confirmed)
            return
        if self.drops.held_back(drop, len(entries), confirmed=message.confirmed):
            return
        leads = [
            (entry.lead.model_copy(update={"submitted_by": drop.user}), row_dedupe_key(drop, entry))
            for entry in entries
            if entry.lead is not None
        ]
        received = self.receive_many(
            leads, intake_channel=drop.channel, intake_ts=drop.ts, queue=False
        )
        self.drops.publish(drop, received)
        errors = [without_file_name(entry.error, drop.name) for entry in entries if entry.error]
        tiers = [tier.id for tier in self.qualify.rubrics.get().tiers]
        reply = drop_reply_text(drop.name, received, errors, tiers)
        self.drops.reply(drop, reply, confirmed=message.confirmed)

    def _complete(self, drop: FileDrop) -> FileDrop:
        """A partial file object (`file_access: check_file_info`) completed with files.info."""
        if not drop.file.partial:
            return drop
        try:
            info = self.gateway.file_info(drop.file.id)
        except DeliveryError as exc:
            if exc.error in FILE_GONE_ERRORS:
                raise FileRefused("The file was deleted or is no longer shared here.") from exc
            raise
        return FileDrop.model_validate({**drop.model_dump(), "file": info})


def same_content(sent: Lead, again: Lead) -> bool:
    """A submission sent again says the same (its text and fields, as they were sent)."""
    return sent.text.strip() == again.text.strip() and dict(sent.fields) == dict(again.fields)
