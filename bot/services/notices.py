"""The work that follows a change to a lead, queued in the change's own unit of work."""

from __future__ import annotations

from bot.domain.work import NotifyThread, RefreshSummary, SendEphemeral
from bot.store.unit_of_work import Transaction


def tell(tx: Transaction, channel: str, user: str, text: str) -> None:
    """An ephemeral message to one user, sent by the worker after the ack."""
    tx.work.add(SendEphemeral(channel=channel, user=user, text=text))


def changed(tx: Transaction, lead_id: int, notice: str) -> None:
    """After a claim, release, disqualification or answer: update the summary, tell the
    marketer's thread."""
    tx.work.add(RefreshSummary(lead_id=lead_id))
    tx.work.add(NotifyThread(lead_id=lead_id, text=notice))
