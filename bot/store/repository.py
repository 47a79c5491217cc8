"""The lead repository: reads and writes a lead, its qualifications, events, claims and Slack
messages inside the caller's unit of work. It never opens a session or commits: the unit of
work does, once per use case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import Session

from bot.domain.lifecycle import (
    CLOSED,
    UNPOSTED,
    EventKind,
    LeadStatus,
    MessageKind,
    Outcome,
    can_move,
)
from bot.store.database import insert_new, utcnow
from bot.store.tables import EventRow, LeadRow, OutcomeRow, QualificationRow, SlackMessageRow
from qualifiers.models import Lead, Qualification


def content_dedupe_key(lead: Lead) -> str:
    """A key for leads with no natural id: same source and same content is the same lead."""
    digest = hashlib.sha256(
        "\x1f".join([lead.source, lead.text, repr(sorted(lead.fields.items()))]).encode()
    ).hexdigest()
    return f"content:{digest[:40]}"


class StoredLead(BaseModel):
    id: int
    lead: Lead
    status: LeadStatus
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    intake_channel: str | None = None
    intake_ts: str | None = None
    created_at: datetime


class LeadEvent(BaseModel):
    kind: EventKind
    actor: str | None = None
    data: dict


class StoredOutcome(BaseModel):
    outcome: Outcome
    actor: str | None = None
    origin: str
    occurred_on: date | None = None
    created_at: datetime


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    claimed_by: str | None


@dataclass(frozen=True)
class RubricUsage:
    """One rubric name and version, and the leads it qualified."""

    name: str
    version: str
    first_at: datetime
    last_at: datetime
    leads: int
    qualifications: int


class LeadRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- leads ---------------------------------------------------------------------------------

    def add_lead(
        self,
        lead: Lead,
        *,
        dedupe_key: str | None = None,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> tuple[StoredLead, bool]:
        """Store a lead unless one with the same dedupe key exists; returns (lead, created)."""
        key = dedupe_key or content_dedupe_key(lead)
        values = {
            "dedupe_key": key,
            "external_id": lead.id,
            "text": lead.text,
            "fields": dict(lead.fields),
            "source": lead.source,
            "submitted_by": lead.submitted_by,
            "intake_channel": intake_channel,
            "intake_ts": intake_ts,
            "status": LeadStatus.RECEIVED,
            "created_at": utcnow(),
        }
        lead_id = insert_new(self.session, LeadRow, values, "dedupe_key")
        if lead_id is not None:
            self.add_event(lead_id, EventKind.RECEIVED, lead.submitted_by, source=lead.source)
            return _stored(self.session.get(LeadRow, lead_id)), True
        existing = self.find_by_dedupe_key(key)
        if existing is None:
            raise LookupError(f"lead with dedupe key {key!r} vanished")
        return existing, False

    def find_by_dedupe_key(self, key: str) -> StoredLead | None:
        row = self.session.scalar(select(LeadRow).where(LeadRow.dedupe_key == key))
        return _stored(row) if row else None

    def get_lead(self, lead_id: int) -> StoredLead | None:
        row = self.session.get(LeadRow, lead_id)
        return _stored(row) if row else None

    def recent_leads(self, limit: int) -> list[StoredLead]:
        """The newest `limit` leads, newest first (e.g. to preview a rubric change on them)."""
        rows = self.session.scalars(select(LeadRow).order_by(LeadRow.id.desc()).limit(limit))
        return [_stored(row) for row in rows]

    def all_leads(self, since: datetime | None = None) -> list[StoredLead]:
        """Every lead (received since `since`), oldest first: for exports and imports."""
        query = select(LeadRow).order_by(LeadRow.id)
        if since is not None:
            query = query.where(LeadRow.created_at >= since)
        return [_stored(row) for row in self.session.scalars(query)]

    def find_by_intake(self, channel: str, ts: str) -> StoredLead | None:
        row = self.session.scalar(
            select(LeadRow).where(LeadRow.intake_channel == channel, LeadRow.intake_ts == ts)
        )
        return _stored(row) if row else None

    def set_status(
        self, lead_id: int, status: LeadStatus, actor: str | None = None, **data
    ) -> None:
        """Move the lead and record the event of the same name; a disqualified or withdrawn
        lead is nobody's claim any more."""
        values: dict = {"status": status}
        if status in CLOSED:
            values.update(claimed_by=None, claimed_at=None)
        self.session.execute(update(LeadRow).where(LeadRow.id == lead_id).values(**values))
        self.add_event(lead_id, EventKind(status), actor, **data)

    def add_answer(self, lead_id: int, text: str, actor: str | None, **found) -> None:
        """Record a thread answer (its text, who gave it, what it answers); the lead's own
        words stay as they were."""
        self.add_event(lead_id, EventKind.ANSWERED, actor, text=text, **found)

    def revise(self, lead_id: int, text: str, fields: dict[str, str], actor: str | None) -> None:
        """The intake message was edited: the lead says what the message says now."""
        row = self.session.get(LeadRow, lead_id)
        if row is None:
            raise LookupError(f"no lead {lead_id}")
        previous = row.text
        row.text, row.fields = text, dict(fields)
        self.add_event(lead_id, EventKind.EDITED, actor, previous=previous)

    def events(self, lead_id: int, kind: EventKind) -> list[LeadEvent]:
        """The lead's events of `kind`, oldest first."""
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.lead_id == lead_id, EventRow.kind == kind)
            .order_by(EventRow.id)
        )
        return [LeadEvent(kind=row.kind, actor=row.actor, data=row.data or {}) for row in rows]

    def add_event(self, lead_id: int, kind: EventKind, actor: str | None = None, **data) -> None:
        """Record something that happened to a lead, e.g. a reminder sent."""
        self.session.add(
            EventRow(lead_id=lead_id, kind=kind, actor=actor, data=data, created_at=utcnow())
        )

    def latest_event(self, lead_id: int, kind: EventKind) -> LeadEvent | None:
        row = self.session.scalar(
            select(EventRow)
            .where(EventRow.lead_id == lead_id, EventRow.kind == kind)
            .order_by(EventRow.id.desc())
            .limit(1)
        )
        return LeadEvent(kind=row.kind, actor=row.actor, data=row.data or {}) if row else None

    # --- claims --------------------------------------------------------------------------------

    def claim(self, lead_id: int, user: str) -> ClaimResult:
        """One conditional UPDATE: of any number of simultaneous clicks, exactly one wins."""
        result = self.session.execute(
            update(LeadRow)
            .where(LeadRow.id == lead_id, LeadRow.claimed_by.is_(None))
            .values(claimed_by=user, claimed_at=utcnow(), status=LeadStatus.CLAIMED)
        )
        if result.rowcount == 1:
            self.add_event(lead_id, EventKind.CLAIMED, user)
            return ClaimResult(won=True, claimed_by=user)
        holder = self.session.scalar(select(LeadRow.claimed_by).where(LeadRow.id == lead_id))
        return ClaimResult(won=False, claimed_by=holder)

    def release(self, lead_id: int, user: str, *, by_manager: bool = False) -> bool:
        """Release a claim; only the claimer may, unless `by_manager`. Returns whether it did."""
        condition = LeadRow.claimed_by.is_not(None) if by_manager else LeadRow.claimed_by == user
        result = self.session.execute(
            update(LeadRow)
            .where(LeadRow.id == lead_id, condition)
            .values(claimed_by=None, claimed_at=None, status=LeadStatus.POSTED)
        )
        if result.rowcount != 1:
            return False
        self.add_event(lead_id, EventKind.RELEASED, user)
        return True

    # --- outcomes ------------------------------------------------------------------------------

    def record_outcome(
        self,
        lead_id: int,
        outcome: Outcome,
        actor: str | None,
        *,
        origin: str,
        occurred_on: date | None = None,
    ) -> bool:
        """Record how the lead ended (a row and an event); a claimed lead (or one with an
        outcome) moves to the outcome's status. Returns whether the status moved."""
        self.session.add(
            OutcomeRow(
                lead_id=lead_id,
                outcome=outcome,
                actor=actor,
                origin=origin,
                occurred_on=occurred_on,
                created_at=utcnow(),
            )
        )
        on = occurred_on.isoformat() if occurred_on else None
        self.add_event(lead_id, EventKind.OUTCOME, actor, outcome=outcome, origin=origin, on=on)
        status = self.session.scalar(select(LeadRow.status).where(LeadRow.id == lead_id))
        if status == outcome.status or not can_move(status, outcome.status):
            return False
        self.session.execute(
            update(LeadRow).where(LeadRow.id == lead_id).values(status=outcome.status)
        )
        return True

    def latest_outcome(self, lead_id: int) -> StoredOutcome | None:
        row = self.session.scalar(
            select(OutcomeRow)
            .where(OutcomeRow.lead_id == lead_id)
            .order_by(OutcomeRow.id.desc())
            .limit(1)
        )
        return _outcome(row) if row else None

    def latest_outcomes(self) -> dict[int, StoredOutcome]:
        """Every lead's current outcome, by lead id."""
        rows = self.session.scalars(select(OutcomeRow).order_by(OutcomeRow.id))
        return {row.lead_id: _outcome(row) for row in rows}

    def claim_history(self, lead_id: int) -> list[tuple[str, str | None, datetime]]:
        """(claimed or released, who, when) of the lead, oldest first."""
        rows = self.session.scalars(
            select(EventRow)
            .where(
                EventRow.lead_id == lead_id,
                EventRow.kind.in_([EventKind.CLAIMED, EventKind.RELEASED]),
            )
            .order_by(EventRow.id)
        )
        return [(row.kind, row.actor, row.created_at) for row in rows]

    # --- qualifications ------------------------------------------------------------------------

    def add_qualification(self, lead_id: int, qualification: Qualification) -> None:
        usage = qualification.usage
        self.session.add(
            QualificationRow(
                lead_id=lead_id,
                rubric_name=qualification.rubric.name,
                rubric_version=qualification.rubric.version,
                qualifier=qualification.qualifier,
                score=qualification.score,
                tier=qualification.tier,
                knockout=qualification.knockout,
                result=qualification.model_dump(mode="json"),
                model=usage.model if usage else None,
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                latency_ms=usage.latency_ms if usage else 0,
                cost_usd=usage.cost_usd if usage else 0.0,
                created_at=utcnow(),
            )
        )
        self.add_event(
            lead_id, EventKind.QUALIFIED, score=qualification.score, tier=qualification.tier
        )

    def latest_qualification(self, lead_id: int) -> Qualification | None:
        row = self.session.scalar(
            select(QualificationRow)
            .where(QualificationRow.lead_id == lead_id)
            .order_by(QualificationRow.id.desc())
            .limit(1)
        )
        return Qualification.model_validate(row.result) if row else None

    def count_qualifications(self, lead_id: int | None = None) -> int:
        query = select(func.count(QualificationRow.id))
        if lead_id is not None:
            query = query.where(QualificationRow.lead_id == lead_id)
        return self.session.scalar(query) or 0

    def rubric_usage(self) -> list[RubricUsage]:
        """Every rubric name and version that qualified leads, oldest first."""
        row = QualificationRow
        query = (
            select(
                row.rubric_name,
                row.rubric_version,
                func.min(row.created_at),
                func.max(row.created_at),
                func.count(distinct(row.lead_id)),
                func.count(row.id),
            )
            .group_by(row.rubric_name, row.rubric_version)
            .order_by(func.min(row.created_at))
        )
        return [RubricUsage(*values) for values in self.session.execute(query)]

    # --- Slack message locations ---------------------------------------------------------------

    def slack_message(self, lead_id: int, kind: MessageKind) -> tuple[str, str | None] | None:
        """(channel, ts) of a lead's message of `kind`, e.g. the summary."""
        row = self._slack_message_row(lead_id, kind)
        return (row.channel, row.ts) if row else None

    def save_slack_message(
        self, lead_id: int, kind: MessageKind, channel: str, ts: str | None
    ) -> None:
        row = self._slack_message_row(lead_id, kind)
        if row is None:
            row = SlackMessageRow(lead_id=lead_id, kind=kind, created_at=utcnow())
            self.session.add(row)
        row.channel, row.ts = channel, ts

    def mark_posted(self, lead_id: int, channel: str, ts: str) -> None:
        """Record the summary's location and move a new lead to `posted` (a claim made in
        the meantime is kept)."""
        self.save_slack_message(lead_id, MessageKind.SUMMARY, channel, ts)
        self.session.execute(
            update(LeadRow)
            .where(LeadRow.id == lead_id, LeadRow.status.in_(UNPOSTED))
            .values(status=LeadStatus.POSTED)
        )
        self.add_event(lead_id, EventKind.POSTED, channel=channel, ts=ts)

    def find_by_slack_message(self, kind: MessageKind, channel: str, ts: str) -> StoredLead | None:
        """The lead whose message of `kind` (e.g. its DM thread) is at channel/ts."""
        row = self.session.scalar(
            select(LeadRow)
            .join(SlackMessageRow, SlackMessageRow.lead_id == LeadRow.id)
            .where(
                SlackMessageRow.kind == kind,
                SlackMessageRow.channel == channel,
                SlackMessageRow.ts == ts,
            )
        )
        return _stored(row) if row else None

    def _slack_message_row(self, lead_id: int, kind: MessageKind) -> SlackMessageRow | None:
        return self.session.scalar(
            select(SlackMessageRow).where(
                SlackMessageRow.lead_id == lead_id, SlackMessageRow.kind == kind
            )
        )


def _stored(row: LeadRow) -> StoredLead:
    return StoredLead(
        id=row.id,
        lead=Lead(
            id=row.external_id or str(row.id),
            text=row.text,
            fields=row.fields or {},
            source=row.source,
            submitted_by=row.submitted_by,
        ),
        status=row.status,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        intake_channel=row.intake_channel,
        intake_ts=row.intake_ts,
        created_at=row.created_at,
    )


def _outcome(row: OutcomeRow) -> StoredOutcome:
    return StoredOutcome(
        outcome=row.outcome,
        actor=row.actor,
        origin=row.origin,
        occurred_on=row.occurred_on,
        created_at=row.created_at,
    )
