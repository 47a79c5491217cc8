"""What a lead's move queues for the outside world, in the move's own unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bot.domain.lifecycle import is_slack_user_id
from bot.domain.work import HandoffEvent, SendLeadEvent, SyncHubSpot
from bot.store.repository import StoredLead, Transition
from bot.store.unit_of_work import Transaction
from qualifiers.models import Qualification

# HubSpot hears of a lead once a rep owns it: the claim, and what happens to it after.
HUBSPOT_EVENTS = frozenset({HandoffEvent.CLAIMED, HandoffEvent.DISQUALIFIED, HandoffEvent.OUTCOME})


@dataclass(frozen=True)
class Handoff:
    """Which destinations are configured. Called by the unit of work before it commits, with
    the transaction whose repository recorded the moves."""

    events: bool = False  # LEADBOT_EVENTS_URL
    hubspot: bool = False  # HUBSPOT_TOKEN

    def __bool__(self) -> bool:
        return self.events or self.hubspot

    def __call__(self, tx: Transaction) -> None:
        for transition in tx.leads.transitions:
            if self.events:
                event_id = uuid.uuid4().hex
                tx.work.add(
                    SendLeadEvent(
                        lead_id=transition.lead_id,
                        event_id=event_id,
                        body=event_body(event_id, transition, tx),
                    ),
                    dedupe_key=f"lead_event:{event_id}",
                )
            if self.hubspot and transition.event in HUBSPOT_EVENTS:
                tx.work.add(
                    SyncHubSpot(
                        lead_id=transition.lead_id,
                        event=transition.event,
                        rep=rep_of(transition),
                        at=transition.at,
                        outcome=transition.data.get("outcome"),
                    )
                )
        tx.leads.transitions.clear()


def rep_of(transition: Transition) -> str | None:
    """The Slack user who made the move, when a person did (a knockout has no rep)."""
    return transition.actor if transition.actor and is_slack_user_id(transition.actor) else None


def event_body(event_id: str, transition: Transition, tx: Transaction) -> dict:
    """`{"event", "lead", "qualification", "rep", "at"}` as it stands in this transaction."""
    tx.session.flush()  # the qualification of this same unit of work is read back below
    stored = tx.leads.get_lead(transition.lead_id)
    qualification = tx.leads.latest_qualification(transition.lead_id)
    body = {
        "id": event_id,
        "event": transition.event.value,
        "lead": lead_json(stored) if stored else {"id": transition.lead_id},
        "qualification": qualification_json(qualification),
        "rep": rep_of(transition),
        "at": transition.at.isoformat(),
    }
    if transition.event == HandoffEvent.OUTCOME:
        body["outcome"] = transition.data.get("outcome")
    return body


def lead_json(stored: StoredLead) -> dict:
    lead = stored.lead
    return {
        "id": stored.id,
        "external_id": lead.id,
        "source": lead.source,
        "status": stored.status.value,
        "claimed_by": stored.claimed_by,
        "submitted_by": lead.submitted_by,
        "text": lead.text,
        "fields": dict(lead.fields),
        "created_at": stored.created_at.isoformat(),
    }


def qualification_json(qualification: Qualification | None) -> dict | None:
    """The `leadbot qualify --format json` shape: score, tier, criteria with evidence."""
    return qualification.public_dict() if qualification else None
