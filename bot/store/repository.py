"""The lead repository: reads and writes a lead, its qualifications, events, claims and Slack
messages inside the caller's unit of work. It never opens a session or commits: the unit of
work does, once per use case."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel
from sqlalchemy import String, cast, distinct, func, or_, select, update
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
from bot.domain.work import HandoffEvent
from bot.store.database import insert_many, insert_new, utcnow
from bot.store.tables import (
    EventRow,
    LeadRow,
    LeadSubmissionRow,
    OutcomeRow,
    QualificationRow,
    SlackMessageRow,
)
from qualifiers.arrival import arrival_from_fields
from qualifiers.models import Lead, Qualification

_HANDED_OFF = frozenset(event.value for event in HandoffEvent)
ASSIGNMENTS_SCANNED = 500  # recent offers read to find whose turn a tier is at


def content_dedupe_key(lead: Lead) -> str:
    """A key for leads with no natural id: same source and same content is the same lead."""
    fields = repr(sorted(lead.fields.items())) if lead.fields else "[]"  # repr of no items
    digest = hashlib.sha256(f"{lead.source}\x1f{lead.text}\x1f{fields}".encode()).hexdigest()
    return "content:" + digest[:40]


@dataclass(frozen=True)
class Arrival:
    """A lead as it arrived, with its dedupe key and the intake message it came in (if any)."""

    lead: Lead
    dedupe_key: str
    intake_channel: str | None = None
    intake_ts: str | None = None


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


@dataclass(frozen=True)
class Transition:
    """A move of a lead the outside world hears about (`bot.crm`), recorded by the event
    that made it so the unit of work can queue its hand-off in the same transaction."""

    lead_id: int
    event: HandoffEvent
    actor: str | None
    at: datetime
    data: dict


class LeadRepository:
    def __init__(self, session: Session):
        self.session = session
        self.transitions: list[Transition] = []

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
        values = new_lead_values(lead, key, intake_channel, intake_ts, utcnow())
        lead_id = insert_new(self.session, LeadRow, values, "dedupe_key")
        if lead_id is not None:
            self.add_event(lead_id, EventKind.RECEIVED, lead.submitted_by, source=lead.source)
            return stored_from_values(lead_id, values), True
        existing = self.find_by_dedupe_key(key)
        if existing is None:
            raise LookupError(f"lead with dedupe key {key!r} vanished")
        return existing, False

    def add_leads(
        self,
        leads: Sequence[Lead],
        dedupe_keys: Sequence[str | None] | None = None,
        *,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> list[tuple[StoredLead, bool]]:
        """`add_arrivals` for a batch from one intake message (a CSV's rows), each lead under
        its given dedupe key or, where none is given, its content's."""
        keys = dedupe_keys or [None] * len(leads)
        return self.add_arrivals(
            [
                Arrival(lead, key or content_dedupe_key(lead), intake_channel, intake_ts)
                for lead, key in zip(leads, keys, strict=True)
            ]
        )

    def add_arrivals(self, arrivals: Sequence[Arrival]) -> list[tuple[StoredLead, bool]]:
        """`add_lead` for leads that arrived together (the acks of one group commit, a CSV's
        rows), in input order: one multi-row INSERT each for the new
        leads and their `received` events, one lookup of the keys stored already. A key
        repeated among them is one lead, created by its first arrival. Rows go in key order,
        so two batches on PostgreSQL wait for each other's keys in the same order, never in
        a cycle."""
        now = utcnow()
        values, rows = arrival_rows(arrivals, now)
        inserted = insert_many(
            self.session,
            LeadRow.__table__,
            ARRIVAL_COLUMNS,
            rows,
            constants={"status": LeadStatus.RECEIVED, "created_at": now},
            unique="dedupe_key",
            returning=("id", "dedupe_key"),
        )
        created = {key: stored_from_values(lead_id, values[key]) for lead_id, key in inserted}
        events = [
            (stored.id, stored.lead.submitted_by, event_data(source=stored.lead.source))
            for stored in created.values()
        ]
        if events:
            self._add_events(EventKind.RECEIVED, events, now)
        known = [key for key in values if key not in created]
        found = self._stored_by_keys(known) if known else {}
        return in_arrival_order(arrivals, created, found)

    def _stored_by_keys(self, keys: Sequence[str]) -> dict[str, StoredLead]:
        table = LeadRow.__table__
        query = select(table).where(table.c.dedupe_key.in_(keys))
        return {
            row.dedupe_key: stored_from_row(row) for row in self.session.connection().execute(query)
        }

    def find_by_dedupe_key(self, key: str) -> StoredLead | None:
        row = self.session.scalar(select(LeadRow).where(LeadRow.dedupe_key == key))
        return stored_from_row(row) if row else None

    def get_lead(self, lead_id: int) -> StoredLead | None:
        row = self.session.get(LeadRow, lead_id)
        return stored_from_row(row) if row else None

    def leads_by_ids(self, lead_ids: Sequence[int]) -> list[StoredLead]:
        """The stored leads with these ids, in the order given (missing ones left out)."""
        rows = self.session.scalars(select(LeadRow).where(LeadRow.id.in_(list(lead_ids))))
        found = {row.id: stored_from_row(row) for row in rows}
        return [found[i] for i in lead_ids if i in found]

    def recent_leads(self, limit: int) -> list[StoredLead]:
        """The newest `limit` leads, newest first (e.g. to preview a rubric change on them)."""
        rows = self.session.scalars(select(LeadRow).order_by(LeadRow.id.desc()).limit(limit))
        return [stored_from_row(row) for row in rows]

    # --- one person, several submissions -------------------------------------------------------

    def find_submission(self, key: str) -> tuple[StoredLead, Lead] | None:
        """The lead a submission with dedupe `key` is part of (its own, or the one it was
        merged into), and what that submission said."""
        row = self.session.scalar(
            select(LeadSubmissionRow).where(LeadSubmissionRow.dedupe_key == key)
        )
        if row is not None:
            sent = Lead(text=row.text, fields=dict(row.fields or {}), source=row.source)
            return self.get_lead(row.lead_id), sent
        stored = self.find_by_dedupe_key(key)
        return (stored, stored.lead) if stored else None

    def find_by_email(self, email: str, since: datetime) -> list[StoredLead]:
        """Leads received since `since` whose text or fields hold `email`, newest first
        (the caller checks the address is the lead's own)."""
        needle = f"%{email.lower()}%"
        rows = self.session.scalars(
            select(LeadRow)
            .where(
                LeadRow.created_at >= since,
                or_(
                    func.lower(LeadRow.text).like(needle),
                    func.lower(cast(LeadRow.fields, String)).like(needle),
                ),
            )
            .order_by(LeadRow.id.desc())
            .limit(20)
        )
        return [stored_from_row(row) for row in rows]

    def merge_submission(self, lead_id: int, submission: Lead, dedupe_key: str) -> None:
        """Add a submission from another source to the lead: its text after the lead's, its
        fields where the lead has none, both submissions kept as sent. The caller queues
        the re-qualification."""
        row = self.session.get(LeadRow, lead_id)
        if row is None:
            raise LookupError(f"no lead {lead_id}")
        first = {"lead_id": lead_id, "dedupe_key": row.dedupe_key, "source": row.source}
        insert_new(
            self.session,
            LeadSubmissionRow,
            {
                **first,
                "text": row.text,
                "fields": dict(row.fields or {}),
                "created_at": row.created_at,
            },
            "dedupe_key",
        )
        self.session.add(
            LeadSubmissionRow(
                lead_id=lead_id,
                dedupe_key=dedupe_key,
                source=submission.source,
                text=submission.text,
                fields=dict(submission.fields),
                created_at=utcnow(),
            )
        )
        text = row.text
        if submission.text:
            text = f"{text}\n\n--- also via {submission.source} ---\n{submission.text}".strip()
        fields = {**submission.fields, **(row.fields or {})}
        self.revise(lead_id, text, fields, submission.submitted_by)
        self.add_event(lead_id, EventKind.MERGED, submission.submitted_by, source=submission.source)

    def all_leads(self, since: datetime | None = None) -> list[StoredLead]:
        """Every lead (received since `since`), oldest first: for exports and imports."""
        query = select(LeadRow).order_by(LeadRow.id)
        if since is not None:
            query = query.where(LeadRow.created_at >= since)
        return [stored_from_row(row) for row in self.session.scalars(query)]

    def find_by_intake(self, channel: str, ts: str) -> StoredLead | None:
        row = self.session.scalar(
            select(LeadRow).where(LeadRow.intake_channel == channel, LeadRow.intake_ts == ts)
        )
        return stored_from_row(row) if row else None

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
        """Record something that happened to a lead, e.g. a reminder sent. A claim, release,
        (dis)qualification or outcome is also a `Transition` to hand off."""
        at = self._add_event_row(lead_id, kind, actor, data)
        if kind in _HANDED_OFF:
            self.transitions.append(Transition(lead_id, HandoffEvent(kind), actor, at, data))

    def _add_event_row(self, lead_id: int, kind: str, actor: str | None, data: dict) -> datetime:
        at = utcnow()
        values = {"lead_id": lead_id, "kind": kind, "actor": actor, "data": data, "created_at": at}
        insert_new(self.session, EventRow, values, None)
        return at

    def move_received(self, moves: Sequence[tuple[int, LeadStatus, dict]]) -> None:
        """Move the leads of (lead id, status, event data) that are still `received`, and
        record their events: one conditional UPDATE per status, one multi-row INSERT of the
        events. A lead listed twice, or moved meanwhile, moves once."""
        by_status: dict[LeadStatus, dict[int, dict]] = defaultdict(dict)
        for lead_id, status, data in moves:
            by_status[status].setdefault(lead_id, data)
        now = utcnow()
        table = LeadRow.__table__
        for status, group in by_status.items():
            moved = self.session.connection().execute(
                update(table)
                .where(table.c.id.in_(list(group)), table.c.status == LeadStatus.RECEIVED)
                .values(status=status)
                .returning(table.c.id)
            )
            ids = sorted(moved.scalars())
            self._add_events(
                EventKind(status), [(i, None, event_data(**group[i])) for i in ids], now
            )
            if status in _HANDED_OFF:
                event = HandoffEvent(status)
                self.transitions.extend(Transition(i, event, None, now, group[i]) for i in ids)

    def _add_events(
        self, kind: EventKind, events: Sequence[tuple[int, str | None, str]], now: datetime
    ) -> None:
        """Events of one kind, (lead id, actor, data as JSON) each, in one multi-row INSERT."""
        constants = {"kind": kind, "created_at": now}
        insert_many(self.session, EventRow.__table__, EVENT_COLUMNS, events, constants=constants)

    def latest_event(self, lead_id: int, kind: EventKind) -> LeadEvent | None:
        row = self.session.scalar(
            select(EventRow)
            .where(EventRow.lead_id == lead_id, EventRow.kind == kind)
            .order_by(EventRow.id.desc())
            .limit(1)
        )
        return LeadEvent(kind=row.kind, actor=row.actor, data=row.data or {}) if row else None

    # --- round-robin --------------------------------------------------------------------------

    def last_assignee(self, tier: str) -> str | None:
        """The rep round-robin last offered a lead of `tier` to (the turn goes on from them)."""
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.kind == EventKind.ASSIGNED)
            .order_by(EventRow.id.desc())
            .limit(ASSIGNMENTS_SCANNED)
        )
        return next((row.actor for row in rows if (row.data or {}).get("tier") == tier), None)

    def set_away(self, user: str, away: bool) -> None:
        """`/leadbot away` or `back`: an event with no lead."""
        kind = EventKind.AWAY if away else EventKind.BACK
        self.session.add(
            EventRow(lead_id=None, kind=kind, actor=user, data={}, created_at=utcnow())
        )

    def away_users(self, users: Iterable[str]) -> set[str]:
        """Which of `users` said `/leadbot away` last (not `back` since)."""
        rows = self.session.execute(
            select(EventRow.actor, EventRow.kind)
            .where(EventRow.kind.in_([EventKind.AWAY, EventKind.BACK]))
            .where(EventRow.actor.in_(list(users)))
            .order_by(EventRow.id)
        )
        latest = {actor: kind == EventKind.AWAY for actor, kind in rows}
        return {user for user, away in latest.items() if away}

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
        self.add_qualifications([(lead_id, qualification)])

    def add_qualifications(self, results: Sequence[tuple[int, Qualification]]) -> None:
        """A qualification row and a `qualified` event per (lead id, qualification), each
        kind in one multi-row INSERT."""
        now = utcnow()
        rows = [_qualification_row(*pair) for pair in results]
        insert_many(
            self.session,
            QualificationRow.__table__,
            QUALIFICATION_COLUMNS,
            rows,
            constants={"created_at": now},
        )
        events = [(i, None, event_data(score=q.score, tier=q.tier)) for i, q in results]
        self._add_events(EventKind.QUALIFIED, events, now)

    def latest_qualification(self, lead_id: int) -> Qualification | None:
        row = self.session.scalar(
            select(QualificationRow)
            .where(QualificationRow.lead_id == lead_id)
            .order_by(QualificationRow.id.desc())
            .limit(1)
        )
        return Qualification.model_validate(row.result) if row else None

    def latest_qualifications(self, lead_ids: Sequence[int]) -> dict[int, Qualification]:
        """`latest_qualification` for a batch, in one query; leads without one are absent."""
        table = QualificationRow.__table__
        query = (
            select(table.c.lead_id, table.c.result)
            .where(table.c.lead_id.in_(list(lead_ids)))
            .order_by(table.c.id)
        )
        latest = {lead_id: result for lead_id, result in self.session.connection().execute(query)}
        return {lead_id: Qualification.model_validate(result) for lead_id, result in latest.items()}

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
        return stored_from_row(row) if row else None

    def _slack_message_row(self, lead_id: int, kind: MessageKind) -> SlackMessageRow | None:
        return self.session.scalar(
            select(SlackMessageRow).where(
                SlackMessageRow.lead_id == lead_id, SlackMessageRow.kind == kind
            )
        )


@functools.lru_cache(maxsize=4096)
def event_data(**data) -> str:
    """An event's data as JSON, remembered: bulk events repeat a few values (sources,
    scores, tiers, knockouts)."""
    return json.dumps(data)


LEAD_COLUMNS = ("dedupe_key", "external_id", "text", "fields", "source", "submitted_by")
ARRIVAL_COLUMNS = (*LEAD_COLUMNS, "intake_channel", "intake_ts")
EVENT_COLUMNS = ("lead_id", "actor", "data")
QUALIFICATION_COLUMNS = (
    "lead_id",
    "rubric_name",
    "rubric_version",
    "qualifier",
    "score",
    "tier",
    "knockout",
    "result",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "cost_usd",
)


def _qualification_row(lead_id: int, qualification: Qualification) -> tuple:
    """QUALIFICATION_COLUMNS' values, as the driver takes them."""
    usage = qualification.usage
    return (
        lead_id,
        qualification.rubric.name,
        qualification.rubric.version,
        qualification.qualifier,
        qualification.score,
        qualification.tier,
        qualification.knockout,
        qualification.model_dump_json(),
        *(
            (usage.model, usage.input_tokens, usage.output_tokens, usage.latency_ms, usage.cost_usd)
            if usage
            else (None, 0, 0, 0, 0.0)
        ),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored_from_row(row: LeadRow) -> StoredLead:
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


def new_lead_values(
    lead: Lead, key: str, intake_channel: str | None, intake_ts: str | None, now: datetime
) -> dict:
    """A new lead's row, as `stored_from_values` reads it."""
    return {
        "dedupe_key": key,
        "external_id": lead.id,
        "text": lead.text,
        "fields": dict(lead.fields),
        "source": lead.source,
        "submitted_by": lead.submitted_by,
        "intake_channel": intake_channel,
        "intake_ts": intake_ts,
        "status": LeadStatus.RECEIVED,
        "created_at": now,
    }


def stored_from_values(lead_id: int, values: dict) -> StoredLead:
    """What `stored_from_row` reads back for the row just inserted with `values`, without reading it
    (and without an ORM row: this runs inside the ack's write transaction)."""
    fields = values["fields"]
    return StoredLead(
        id=lead_id,
        lead=Lead(
            id=values["external_id"] or str(lead_id),
            text=values["text"],
            fields=fields,
            source=values["source"],
            submitted_by=values["submitted_by"],
            received_at=arrival_from_fields(fields) or values["created_at"],
        ),
        status=values["status"],
        intake_channel=values["intake_channel"],
        intake_ts=values["intake_ts"],
        created_at=values["created_at"],
    )


def arrival_rows(arrivals: Sequence[Arrival], now: datetime) -> tuple[dict[str, dict], list]:
    """The new lead of each dedupe key among `arrivals` (a key repeated among them is one
    lead, from its first arrival): its values by key, and the same as rows of
    ARRIVAL_COLUMNS. In key order, so two batches on PostgreSQL wait for each other's keys
    in the same order, never in a cycle."""
    first_by_key: dict[str, Arrival] = {}
    for arrival in arrivals:
        first_by_key.setdefault(arrival.dedupe_key, arrival)
    values = {
        key: new_lead_values(arrival.lead, key, arrival.intake_channel, arrival.intake_ts, now)
        for key, arrival in sorted(first_by_key.items())
    }
    rows = [
        tuple(json.dumps(row[c]) if c == "fields" else row[c] for c in ARRIVAL_COLUMNS)
        for row in values.values()
    ]
    return values, rows


def in_arrival_order(
    arrivals: Sequence[Arrival], created: dict[str, StoredLead], found: dict[str, StoredLead]
) -> list[tuple[StoredLead, bool]]:
    """(lead, created) for each arrival, in input order: a key's first arrival gets the lead
    it created, later ones and keys stored before get the stored lead, not created."""
    claimed: set[str] = set()
    received = []
    for arrival in arrivals:
        key = arrival.dedupe_key
        if key in created:
            received.append((created[key], key not in claimed))
            claimed.add(key)
        elif key in found:
            received.append((found[key], False))
        else:
            raise LookupError(f"lead with dedupe key {key!r} vanished")
    return received


def _outcome(row: OutcomeRow) -> StoredOutcome:
    return StoredOutcome(
        outcome=row.outcome,
        actor=row.actor,
        origin=row.origin,
        occurred_on=row.occurred_on,
        created_at=row.created_at,
    )
