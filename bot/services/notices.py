"""The work that follows a change to a lead, queued in the change's own unit of work."""

from __future__ import annotations

from uuid import uuid4

from bot.domain.lifecycle import EventKind, is_slack_user_id
from bot.domain.work import NotifyThread, NotifyUser, ProcessLead, RefreshSummary, SendEphemeral
from bot.store.arrivals import ArrivalWork
from bot.store.unit_of_work import Transaction


def queue_processing(
    tx: Transaction,
    lead_id: int,
    *,
    digest_channel: str | None = None,
    digest_ts: str | None = None,
    priority: int | None = None,
) -> None:
    """Qualify and post a stored lead (in a CSV digest's thread when one is given). Queued
    even for a redelivery: the dedupe key makes it a no-op when it exists already. A lead
    already qualified gets its tier's `priority`, so hot ones are posted first."""
    tx.work.add(
        ProcessLead(lead_id=lead_id, digest_channel=digest_channel, digest_ts=digest_ts),
        dedupe_key=_processing_key(lead_id),
        priority=priority,
    )


# One processing item per lead, however often it is queued; what each arrival queues.
PROCESSING = ArrivalWork(ProcessLead, key_prefix="process:")


def _processing_key(lead_id: int) -> str:
    return PROCESSING.key(lead_id)


def tell(tx: Transaction, channel: str, user: str, text: str) -> None:
    """An ephemeral message to one user, sent by the worker after the ack."""
    tx.work.add(SendEphemeral(channel=channel, user=user, text=text))


def changed(
    tx: Transaction, lead_id: int, notice: str | None, blocks: list[dict] | None = None
) -> None:
    """After a claim, release, disqualification or answer: update the summary, tell the
    marketer's thread (unless `notice` is None)."""
    tx.work.add(RefreshSummary(lead_id=lead_id))
    if notice is not None:
        tx.work.add(
            NotifyThread(lead_id=lead_id, text=notice, blocks=blocks, notice_id=uuid4().hex)
        )


def tell_claimer(tx: Transaction, lead_id: int, claimer: str | None, actor: str | None, text: str):
    """A direct message to the rep whose claim someone else (or the rubric) ended."""
    if claimer and claimer != actor and is_slack_user_id(claimer):
        tx.work.add(NotifyUser(lead_id=lead_id, user=claimer, text=text))


def post_now(tx: Transaction, lead_id: int) -> None:
    """Post a lead that was held back: a knockout lifted, a message confirmed as a lead.
    Keyed by how often the lead was qualified or confirmed, so each decision posts once."""
    qualified = len(tx.leads.events(lead_id, EventKind.QUALIFIED))
    confirmed = len(tx.leads.events(lead_id, EventKind.CONFIRMED))
    tx.work.add(
        ProcessLead(lead_id=lead_id), dedupe_key=f"process:{lead_id}:{qualified}:{confirmed}"
    )
