"""The work that follows a change to a lead, queued in the change's own unit of work."""

from __future__ import annotations

from uuid import uuid4

from bot.domain.work import NotifyThread, ProcessLead, RefreshSummary, SendEphemeral
from bot.store.unit_of_work import Transaction


def queue_processing(
    tx: Transaction,
    lead_id: int,
    *,
    digest_channel: str | None = None,
    digest_ts: str | None = None,
) -> None:
    """Qualify and post a stored lead (in a CSV digest's thread when one is given). Queued
    even for a redelivery: the dedupe key makes it a no-op when it exists already."""
    tx.work.add(
        ProcessLead(lead_id=lead_id, digest_channel=digest_channel, digest_ts=digest_ts),
        dedupe_key=f"process:{lead_id}",
    )


def tell(tx: Transaction, channel: str, user: str, text: str) -> None:
    """An ephemeral message to one user, sent by the worker after the ack."""
    tx.work.add(SendEphemeral(channel=channel, user=user, text=text))


def changed(tx: Transaction, lead_id: int, notice: str) -> None:
    """After a claim, release, disqualification or answer: update the summary, tell the
    marketer's thread."""
    tx.work.add(RefreshSummary(lead_id=lead_id))
    tx.work.add(NotifyThread(lead_id=lead_id, text=notice, notice_id=uuid4().hex))
