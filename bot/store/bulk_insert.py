"""Storing a bulk run's batch (`leadbot qualify`, `leadbot demo`), qualified before it is
stored, inside the caller's unit of work: each new lead is written once, already in its
final status, with its qualification and one event; one INSERT per table (through
`insert_many`, the one batch insert) and at most one dedupe lookup per batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

from bot.domain.lifecycle import DISQUALIFIED_TIER, LeadStatus
from bot.domain.work import HandoffEvent
from bot.store.database import MAX_BOUND_VALUES, binary_query, insert_many, utcnow
from bot.store.repository import (
    LEAD_COLUMNS,
    QUALIFICATION_COLUMNS,
    LeadRepository,
    Transition,
    content_dedupe_key,
    event_data,
)
from bot.store.tables import EventRow, LeadRow, QualificationRow
from qualifiers.bulk import QualifiedLead
from qualifiers.models import Lead

LEADS: Table = LeadRow.__table__
EVENTS: Table = EventRow.__table__
QUALIFICATIONS: Table = QualificationRow.__table__
NO_FIELDS = json.dumps({})
# A qualified lead's status and event kinds, as the driver takes them (plain text).
QUALIFIED, KNOCKED_OUT = LeadStatus.QUALIFIED.value, LeadStatus.DISQUALIFIED.value
HANDOFF = {QUALIFIED: HandoffEvent.QUALIFIED, KNOCKED_OUT: HandoffEvent.DISQUALIFIED}
NEW_LEAD_COLUMNS = (*LEAD_COLUMNS, "status")
EVENT_KIND_COLUMNS = ("lead_id", "kind", "data")  # actor: none, a constant
BULK_CHECKPOINT_PAGES = 16384  # of 4 KiB: 64 MB of log between checkpoints


class BulkLeadWriter:
    """The bulk run's writes of one transaction (`tx.bulk`), beside its repository."""

    def __init__(self, session: Session, leads: LeadRepository):
        self.session = session
        self.leads = leads  # its `transitions` are the ones the unit of work reads

    def add_qualified_leads(
        self, leads: Sequence[Lead], qualifications: Sequence[QualifiedLead]
    ) -> list[int]:
        """Store a batch of leads with their qualifications; each lead's id, in input order.

        A lead whose dedupe key is new is stored in its final status (qualified, or
        disqualified by a knockout) with one event of that name, actor none, carrying its
        score, tier and knockout: what storing it `received`, adding the qualification and
        moving it on would leave, in one row per table. A lead stored before, or repeated
        in the batch, is re-qualified as every run re-qualifies: its qualification and a
        `qualified` event with score and tier, and the move if it is still `received`."""
        self._bulk_run_durability()
        keys = [content_dedupe_key(lead) for lead in leads]
        first_row: dict[str, int] = {}
        rows = []
        for index, key in enumerate(keys):
            if key not in first_row:
                first_row[key] = index
                lead = leads[index]
                rows.append(
                    (
                        key,
                        lead.id,
                        lead.text,
                        json.dumps(lead.fields) if lead.fields else NO_FIELDS,
                        lead.source,
                        lead.submitted_by,
                        _final_status(qualifications[index].tier),
                    )
                )
        now = utcnow()
        constants = {"intake_channel": None, "intake_ts": None, "created_at": now}
        created = dict(
            insert_many(
                self.session,
                LEADS,
                NEW_LEAD_COLUMNS,
                rows,
                constants=constants,
                unique="dedupe_key",
                returning=("dedupe_key", "id"),
            )
        )
        stored = self._stored_by_key([key for key in first_row if key not in created])
        ids, rows, events, moves, moved = [], [], [], [], []
        data_of: dict[tuple, str] = {}  # event data by value: a batch repeats a few dozen
        for index, (key, q) in enumerate(zip(keys, qualifications, strict=True)):
            new = key in created and first_row[key] == index
            lead_id = created[key] if key in created else stored[key][0]
            ids.append(lead_id)
            rows.append(
                (
                    lead_id,
                    q.rubric_name,
                    q.rubric_version,
                    q.qualifier,
                    q.score,
                    q.tier,
                    q.knockout,
                    q.result_json,
                    *q.usage,
                )
            )
            status = _final_status(q.tier)
            values = (new, q.knockout, q.score, q.tier)
            data = data_of.get(values)
            if data is None:
                data = data_of[values] = (
                    event_data(knockout=q.knockout, score=q.score, tier=q.tier)
                    if new
                    else event_data(score=q.score, tier=q.tier)
                )
            if new:
                events.append((lead_id, status, data))
                moved.append(
                    Transition(lead_id, HANDOFF[status], None, now, {"knockout": q.knockout})
                )
                continue
            events.append((lead_id, QUALIFIED, data))
            if key in stored and stored[key][1] == LeadStatus.RECEIVED:
                moves.append((lead_id, LeadStatus(status), {"knockout": q.knockout}))
        insert_many(
            self.session, QUALIFICATIONS, QUALIFICATION_COLUMNS, rows, constants={"created_at": now}
        )
        constants = {"actor": None, "created_at": now}
        insert_many(self.session, EVENTS, EVENT_KIND_COLUMNS, events, constants=constants)
        self.leads.transitions.extend(moved)
        if moves:
            self.leads.move_received(moves)
        return ids

    def _bulk_run_durability(self) -> None:
        """On SQLite the connection checkpoints its write-ahead log every 64 MB instead of
        leaving it to the writers' checkpoint thread: a bulk run's batches are megabytes
        each. (WAL with synchronous=NORMAL, as always: a killed process loses nothing
        committed; a power cut can lose the commits since the last checkpoint, which
        rerunning the same input stores again, once, by their dedupe keys.) On PostgreSQL
        the transaction commits without waiting for its WAL flush (synchronous_commit off,
        this transaction only): the same trade, a crash of the server can lose the last
        commits, never corrupt or half-store one, and a rerun stores them once; every
        commit of a run otherwise waits for the disk."""
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")

    def _stored_by_key(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(id, status) of the stored leads under these dedupe keys: one query."""
        if not keys:
            return {}
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            sql = "SELECT dedupe_key, id, status FROM leads WHERE dedupe_key = ANY(%b)"
            rows = binary_query(connection, sql, (list(keys),))
            return {key: (i, status) for key, i, status in rows}
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), MAX_BOUND_VALUES):
            page = tuple(keys[start : start + MAX_BOUND_VALUES])
            marks = ", ".join(["?"] * len(page))
            sql = f"SELECT dedupe_key, id, status FROM leads WHERE dedupe_key IN ({marks})"
            rows = connection.exec_driver_sql(sql, page)
            found.update((key, (i, status)) for key, i, status in rows)
        return found


def _final_status(tier: str) -> str:
    """A qualified lead's status, as the driver takes it: knocked out, or qualified."""
    return KNOCKED_OUT if tier == DISQUALIFIED_TIER else QUALIFIED
