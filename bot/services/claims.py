"""A rep's buttons on a summary: claim, release, disqualify. Called before Slack's ack, so
each only writes (the change and the work that follows from it, in one unit of work); the
summary's update and the notices are posted by the worker."""

from __future__ import annotations

from bot.domain.lifecycle import LeadStatus
from bot.domain.permissions import (
    Managers,
    claim_refusal,
    disqualify_refusal,
    release_refusal,
)
from bot.render import summary as render
from bot.services.notices import changed, tell
from bot.store.unit_of_work import Transaction, UnitOfWork


class ClaimsService:
    def __init__(self, uow: UnitOfWork, managers: Managers):
        self.uow = uow
        self.managers = managers

    def claim(self, lead_id: int, user: str, channel: str) -> bool:
        """Exactly one rep wins; everyone else is told who did. Returns whether `user` won."""
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            refusal = claim_refusal(stored.status if stored else None)
            if refusal:
                tell(tx, channel, user, refusal)
                return False
            result = tx.leads.claim(lead_id, user)
            if not result.won:
                if result.claimed_by != user:  # a rep's own double click needs no answer
                    tell(tx, channel, user, render.already_claimed_text(result.claimed_by))
                return False
            changed(tx, lead_id, render.claimed_reply_text(user))
            return True

    def release(self, lead_id: int, user: str, channel: str) -> bool:
        """Only the claimer or a manager may release; others are refused ephemerally."""
        manager = user in self.managers
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            refusal = release_refusal(
                stored.status if stored else None,
                stored.claimed_by if stored else None,
                user,
                manager=manager,
            )
            if refusal is None and not tx.leads.release(lead_id, user, by_manager=manager):
                refusal = "This lead is not claimed any more."
            if refusal:
                tell(tx, channel, user, refusal)
                return False
            changed(tx, lead_id, render.released_reply_text(user))
            return True

    def disqualify_refusal(self, lead_id: int, user: str) -> str | None:
        """Why `user` may not disqualify the lead, or None when they may."""
        with self.uow as tx:
            return self._refusal(tx, lead_id, user)

    def disqualify(self, lead_id: int, user: str, reason: str) -> str | None:
        """Disqualify with a rep's reason; returns a refusal instead when not allowed."""
        with self.uow as tx:
            refusal = self._refusal(tx, lead_id, user)
            if refusal:
                return refusal
            tx.leads.set_status(lead_id, LeadStatus.DISQUALIFIED, user, reason=reason)
            changed(tx, lead_id, render.disqualified_by_rep_text(user, reason))
            return None

    def tell(self, channel: str, user: str, text: str) -> None:
        """An ephemeral message to one user, sent by the worker after the ack."""
        with self.uow as tx:
            tell(tx, channel, user, text)

    def _refusal(self, tx: Transaction, lead_id: int, user: str) -> str | None:
        stored = tx.leads.get_lead(lead_id)
        return disqualify_refusal(
            stored.status if stored else None,
            stored.claimed_by if stored else None,
            user,
            manager=user in self.managers,
        )
