"""The repository: everything leadbot stores or reads goes through here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Engine, distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine, migrate
from bot.store.tables import EventRow, LeadRow, QualificationRow, SlackMessageRow, WorkItemRow
from qualifiers.arrival import arrival_from_fields
from qualifiers.models import Lead, Qualification


def utcnow() -> datetime:
    return datetime.now(UTC)


def content_dedupe_key(lead: Lead) -> str:
    """A key for leads with no natural id: same source and same content is the same lead."""
    digest = hashlib.sha256(
        "\x1f".join([lead.source, lead.text, repr(sorted(lead.fields.items()))]).encode()
    ).hexdigest()
    return f"content:{digest[:40]}"


class StoredLead(BaseModel):
    id: int
    lead: Lead
    status: str
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    intake_channel: str | None = None
    intake_ts: str | None = None
    created_at: datetime


class LeadEvent(BaseModel):
    kind: str
    actor: str | None = None
    data: dict


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


class Repository:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Repository:
        """Connect and migrate the schema to the newest version."""
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def session(self) -> Session:
        return self._sessions()

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
        row = LeadRow(
            dedupe_key=key,
            external_id=lead.id,
            text=lead.text,
            fields=dict(lead.fields),
            source=lead.source,
            submitted_by=lead.submitted_by,
            intake_channel=intake_channel,
            intake_ts=intake_ts,
            status="received",
            created_at=utcnow(),
        )
        with self.session() as session:
            session.add(row)
            try:
                session.flush()
                session.add(_event(row.id, "received", lead.submitted_by, {"source": lead.source}))
                session.commit()
                return _stored(row), True
            except IntegrityError:
                session.rollback()
        existing = self.find_by_dedupe_key(key)
        if existing is None:
            raise LookupError(f"lead with dedupe key {key!r} vanished")
        return existing, False

    def find_by_dedupe_key(self, key: str) -> StoredLead | None:
        with self.session() as session:
            row = session.scalar(select(LeadRow).where(LeadRow.dedupe_key == key))
            return _stored(row) if row else None

    def get_lead(self, lead_id: int) -> StoredLead | None:
        with self.session() as session:
            row = session.get(LeadRow, lead_id)
            return _stored(row) if row else None

    def recent_leads(self, limit: int) -> list[StoredLead]:
        """The newest `limit` leads, newest first (e.g. to preview a rubric change on them)."""
        with self.session() as session:
            rows = session.scalars(select(LeadRow).order_by(LeadRow.id.desc()).limit(limit))
            return [_stored(row) for row in rows]

    def find_by_intake(self, channel: str, ts: str) -> StoredLead | None:
        with self.session() as session:
            row = session.scalar(
                select(LeadRow).where(LeadRow.intake_channel == channel, LeadRow.intake_ts == ts)
            )
            return _stored(row) if row else None

    def set_status(self, lead_id: int, status: str, actor: str | None = None, **data) -> None:
        with self.session() as session:
            session.execute(update(LeadRow).where(LeadRow.id == lead_id).values(status=status))
            session.add(_event(lead_id, status, actor, data))
            session.commit()

    def append_answer(
        self, lead_id: int, addition: str, actor: str | None, *, dedupe_key: str, work_kind: str
    ) -> bool:
        """Add follow-up answers to a lead's text (the original words stay as they were) and a
        work item of `work_kind`, in one transaction, once per `dedupe_key` (a redelivered Slack
        reply adds nothing). Returns whether it was added."""
        with self.session() as session:
            row = session.get(LeadRow, lead_id)
            if row is None:
                raise LookupError(f"no lead {lead_id}")
            session.add(
                WorkItemRow(
                    kind=work_kind,
                    lead_id=lead_id,
                    payload={"actor": actor},
                    dedupe_key=dedupe_key,
                    due_at=utcnow(),
                    attempts=0,
                )
            )
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return False
            row.text = f"{row.text}\n{addition}" if row.text else addition
            session.add(_event(lead_id, "answered", actor, {"text": addition}))
            session.commit()
            return True

    def add_event(self, lead_id: int, kind: str, actor: str | None = None, **data) -> None:
        """Record something that happened to a lead, e.g. a reminder sent."""
        with self.session() as session:
            session.add(_event(lead_id, kind, actor, data))
            session.commit()

    def latest_event(self, lead_id: int, kind: str) -> LeadEvent | None:
        with self.session() as session:
            row = session.scalar(
                select(EventRow)
                .where(EventRow.lead_id == lead_id, EventRow.kind == kind)
                .order_by(EventRow.id.desc())
                .limit(1)
            )
            return LeadEvent(kind=row.kind, actor=row.actor, data=row.data or {}) if row else None

    # --- claims --------------------------------------------------------------------------------

    def claim(self, lead_id: int, user: str) -> ClaimResult:
        """One conditional UPDATE: of any number of simultaneous clicks, exactly one wins."""
        with self.session() as session:
            result = session.execute(
                update(LeadRow)
                .where(LeadRow.id == lead_id, LeadRow.claimed_by.is_(None))
                .values(claimed_by=user, claimed_at=utcnow(), status="claimed")
            )
            if result.rowcount == 1:
                session.add(_event(lead_id, "claimed", user, {}))
                session.commit()
                return ClaimResult(won=True, claimed_by=user)
            session.rollback()
            holder = session.scalar(select(LeadRow.claimed_by).where(LeadRow.id == lead_id))
            return ClaimResult(won=False, claimed_by=holder)

    def release(self, lead_id: int, user: str, *, by_manager: bool = False) -> bool:
        """Release a claim; only the claimer may, unless `by_manager`. Returns whether it did."""
        with self.session() as session:
            condition = (
                LeadRow.claimed_by.is_not(None) if by_manager else LeadRow.claimed_by == user
            )
            result = session.execute(
                update(LeadRow)
                .where(LeadRow.id == lead_id, condition)
                .values(claimed_by=None, claimed_at=None, status="posted")
            )
            if result.rowcount != 1:
                session.rollback()
                return False
            session.add(_event(lead_id, "released", user, {}))
            session.commit()
            return True

    # --- qualifications ------------------------------------------------------------------------

    def add_qualification(self, lead_id: int, qualification: Qualification) -> int:
        usage = qualification.usage
        row = QualificationRow(
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
        with self.session() as session:
            session.add(row)
            session.flush()
            session.add(
                _event(
                    lead_id,
                    "qualified",
                    None,
                    {"score": qualification.score, "tier": qualification.tier},
                )
            )
            session.commit()
            return row.id

    def latest_qualification(self, lead_id: int) -> Qualification | None:
        with self.session() as session:
            row = session.scalar(
                select(QualificationRow)
                .where(QualificationRow.lead_id == lead_id)
                .order_by(QualificationRow.id.desc())
                .limit(1)
            )
            return Qualification.model_validate(row.result) if row else None

    def count_qualifications(self, lead_id: int | None = None) -> int:
        with self.session() as session:
            query = select(func.count(QualificationRow.id))
            if lead_id is not None:
                query = query.where(QualificationRow.lead_id == lead_id)
            return session.scalar(query) or 0

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
        with self.session() as session:
            return [RubricUsage(*values) for values in session.execute(query)]

    # --- Slack message locations ---------------------------------------------------------------

    def slack_message(self, lead_id: int, kind: str) -> tuple[str, str | None] | None:
        """(channel, ts) of a lead's message of `kind`, e.g. 'summary'."""
        with self.session() as session:
            row = session.scalar(
                select(SlackMessageRow).where(
                    SlackMessageRow.lead_id == lead_id, SlackMessageRow.kind == kind
                )
            )
            return (row.channel, row.ts) if row else None

    def save_slack_message(self, lead_id: int, kind: str, channel: str, ts: str | None) -> None:
        with self.session() as session:
            row = session.scalar(
                select(SlackMessageRow).where(
                    SlackMessageRow.lead_id == lead_id, SlackMessageRow.kind == kind
                )
            )
            if row is None:
                row = SlackMessageRow(lead_id=lead_id, kind=kind, created_at=utcnow())
                session.add(row)
            row.channel, row.ts = channel, ts
            session.commit()

    def mark_posted(self, lead_id: int, channel: str, ts: str) -> None:
        """Record the summary's location and move a new lead to `posted` (a claim made in
        the meantime is kept), in one transaction."""
        with self.session() as session:
            session.add(
                SlackMessageRow(
                    lead_id=lead_id, kind="summary", channel=channel, ts=ts, created_at=utcnow()
                )
            )
            session.execute(
                update(LeadRow)
                .where(LeadRow.id == lead_id, LeadRow.status.in_(("received", "qualified")))
                .values(status="posted")
            )
            session.add(_event(lead_id, "posted", None, {"channel": channel, "ts": ts}))
            session.commit()

    def find_by_slack_message(self, kind: str, channel: str, ts: str) -> StoredLead | None:
        """The lead whose message of `kind` (e.g. 'thread') is at channel/ts."""
        with self.session() as session:
            row = session.scalar(
                select(LeadRow)
                .join(SlackMessageRow, SlackMessageRow.lead_id == LeadRow.id)
                .where(
                    SlackMessageRow.kind == kind,
                    SlackMessageRow.channel == channel,
                    SlackMessageRow.ts == ts,
                )
            )
            return _stored(row) if row else None


def _event(lead_id: int | None, kind: str, actor: str | None, data: dict) -> EventRow:
    return EventRow(lead_id=lead_id, kind=kind, actor=actor, data=data, created_at=utcnow())


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stored(row: LeadRow) -> StoredLead:
    return StoredLead(
        id=row.id,
        lead=Lead(
            id=row.external_id or str(row.id),
            text=row.text,
            fields=row.fields or {},
            source=row.source,
            submitted_by=row.submitted_by,
            # stored on arrival; a date column of the lead's own is read from its fields
            received_at=arrival_from_fields(row.fields or {}) or _aware(row.created_at),
        ),
        status=row.status,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        intake_channel=row.intake_channel,
        intake_ts=row.intake_ts,
        created_at=row.created_at,
    )
