"""Receive leads: store a lead and queue its processing in one transaction, before Slack
(or a webhook caller) is answered; take the marketer's follow-up answers; read CSV drops.

A redelivered message finds its lead stored and queues nothing new: the lead and its work
item are written together or not at all, so no crash can leave a lead without its work.
"""

from __future__ import annotations

from bot.domain.lifecycle import LeadSource, LeadStatus, MessageKind
from bot.domain.work import (
    Handler,
    ProcessLead,
    ReadCsvDrop,
    Requalify,
    WorkMessage,
    tier_priority,
)
from bot.errors import UserError
from bot.intake.csv_drop import FileDrop, read_drop, row_dedupe_key, without_file_name
from bot.render.drops import drop_reply_text, refusal_text
from bot.services.gateway import FileRefused, SlackGateway
from bot.services.qualify import QualifyService
from bot.store.repository import StoredLead
from bot.store.unit_of_work import Transaction, UnitOfWork
from qualifiers.models import Lead, Qualification

QUALIFY_CHUNK = 50  # leads of a batch qualified together before their summaries are queued


class ReceiveService:
    def __init__(self, uow: UnitOfWork, qualify: QualifyService, gateway: SlackGateway):
        self.uow = uow
        self.qualify = qualify
        self.gateway = gateway

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
        """Store a lead and queue its processing. Returns (lead, created)."""
        with self.uow as tx:
            stored, created = tx.leads.add_lead(
                lead, dedupe_key=dedupe_key, intake_channel=intake_channel, intake_ts=intake_ts
            )
            _queue_processing(tx, stored)
        return stored, created

    def receive_many(
        self,
        leads: list[tuple[Lead, str]],
        *,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> list[tuple[StoredLead, Qualification, bool]]:
        """Store a batch of (lead, dedupe key), e.g. a CSV's rows, qualify the new ones in
        chunks, and queue their posting. Run again it adds nothing.
        Returns (lead, qualification, created) per row."""
        with self.uow as tx:
            received = [
                tx.leads.add_lead(
                    lead, dedupe_key=key, intake_channel=intake_channel, intake_ts=intake_ts
                )
                for lead, key in leads
            ]
        results = []
        for start in range(0, len(received), QUALIFY_CHUNK):
            chunk = received[start : start + QUALIFY_CHUNK]
            qualifications = self.qualify.qualify_many([stored for stored, _ in chunk])
            tier_ids = [tier.id for tier in self.qualify.rubrics.get().tiers]
            with self.uow as tx:
                for (stored, _), qualification in zip(chunk, qualifications, strict=True):
                    _queue_processing(
                        tx, stored, priority=tier_priority(tier_ids, qualification.tier)
                    )
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
        """Append a marketer's reply to the lead and queue re-qualification, once per reply
        (a redelivered Slack reply adds nothing). Returns whether it was added."""
        if stored.status == LeadStatus.DISQUALIFIED or not text.strip():
            return False
        with self.uow as tx:
            if not tx.work.add(Requalify(lead_id=stored.id, actor=user), dedupe_key=dedupe_key):
                return False
            tx.leads.append_text(stored.id, text.strip(), user)
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
        """Download and read the file, store and qualify its rows, answer in its thread.
        A file that cannot be read stores nothing; the reply says why."""
        drop = FileDrop.model_validate(message.model_dump(exclude={"lead_id"}))
        try:
            entries = read_drop(drop, self.gateway)
        except (FileRefused, UserError) as exc:
            self._reply(drop, refusal_text(drop.name, without_file_name(str(exc), drop.name)))
            return
        if not entries:
            reason = "It has a header row but no rows of leads under it."
            self._reply(drop, refusal_text(drop.name, reason))
            return
        leads = [
            (entry.lead.model_copy(update={"submitted_by": drop.user}), row_dedupe_key(drop, entry))
            for entry in entries
            if entry.lead is not None
        ]
        received = self.receive_many(leads, intake_channel=drop.channel, intake_ts=drop.ts)
        errors = [without_file_name(entry.error, drop.name) for entry in entries if entry.error]
        tiers = [tier.id for tier in self.qualify.rubrics.get().tiers]
        self._reply(drop, drop_reply_text(drop.name, received, errors, tiers))

    def _reply(self, drop: FileDrop, text: str) -> None:
        self.gateway.post_message(drop.channel, text, thread_ts=drop.ts)


def _queue_processing(tx: Transaction, stored: StoredLead, priority: int | None = None) -> None:
    # Queued even for a redelivery: the dedupe key makes it a no-op when it exists already.
    # A batch's leads are qualified first, so hot ones are posted first.
    tx.work.add(
        ProcessLead(lead_id=stored.id), dedupe_key=f"process:{stored.id}", priority=priority
    )
