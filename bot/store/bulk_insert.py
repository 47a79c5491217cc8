"""Storing a bulk run's leads and qualifications (`leadbot qualify`, `leadbot demo`): a
batch of leads with one dedupe lookup and one INSERT per table, a batch of qualifications
with one INSERT per table, inside the caller's unit of work like the repository.

Rows go straight to the driver: values are prepared once per batch (times and constants
through the column types once, JSON columns as the text the workers already serialised),
then SQLite gets one `executemany` per table and PostgreSQL one `COPY` (the rows that need
their ids back: one multi-row INSERT ... RETURNING). The rows are exactly what the
repository's one-at-a-time methods write: the same columns, events and statuses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.domain.lifecycle import EventKind, LeadStatus
from bot.domain.work import HandoffEvent
from bot.store.database import MAX_BOUND_VALUES, utcnow
from bot.store.repository import (
    EVENT_COLUMNS,
    LEAD_COLUMNS,
    QUALIFICATION_COLUMNS,
    Transition,
    event_data,
    first_lead_per_key,
)
from bot.store.tables import EventRow, LeadRow, QualificationRow
from qualifiers.bulk import QualifiedLead
from qualifiers.models import Lead

LEADS: Table = LeadRow.__table__
EVENTS: Table = EventRow.__table__
QUALIFICATIONS: Table = QualificationRow.__table__
NO_FIELDS = json.dumps({})
HANDED_OFF = frozenset(event.value for event in HandoffEvent)
BULK_CHECKPOINT_PAGES = 16384  # of 4 KiB: 64 MB of log between checkpoints


class BulkLeadWriter:
    """The bulk writes of one transaction (`tx.bulk`)."""

    def __init__(self, session: Session, transitions: list[Transition]):
        self.session = session
        self.transitions = transitions  # the repository's: the unit of work reads them there
        self._prepared = False

    def _connection(self):
        """The transaction's connection. On SQLite it checkpoints its write-ahead log every
        64 MB instead of every 4 MB: a bulk run's batches are megabytes each, and each
        checkpoint waits for the disk. (WAL with synchronous=NORMAL, as always: a killed
        process loses nothing committed; a power cut can lose the commits since the last
        checkpoint, which rerunning the same input stores again, once, by their dedupe
        keys.) On PostgreSQL the transaction commits without waiting for its WAL flush
        (synchronous_commit off, this transaction only): the same trade, a crash of the
        server can lose the last commits, never corrupt or half-store one, and a rerun
        stores them once; every commit of a run otherwise waits for the disk."""
        connection = self.session.connection()
        if not self._prepared and self._dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if not self._prepared and self._dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
        self._prepared = True
        return connection

    def add_leads(
        self,
        leads: Sequence[Lead],
        dedupe_keys: Sequence[str | None] | None = None,
        *,
        intake_channel: str | None = None,
        intake_ts: str | None = None,
    ) -> list[tuple[int, bool]]:
        """Store the leads whose dedupe key is new, with their `received` events; returns
        (lead id, created) per lead, in input order. A key repeated inside the batch is one
        lead, created by its first row; a key already stored is that lead."""
        keys, first_by_key = first_lead_per_key(leads, dedupe_keys)
        ids = self._ids_by_key(list(first_by_key))
        new = {key: lead for key, lead in first_by_key.items() if key not in ids}
        created: dict[str, int] = {}
        if new:
            now = utcnow()
            rows = [
                (
                    key,
                    lead.id,
                    lead.text,
                    json.dumps(lead.fields) if lead.fields else NO_FIELDS,
                    lead.source,
                    lead.submitted_by,
                )
                for key, lead in new.items()
            ]
            constants = {"intake_channel": intake_channel, "intake_ts": intake_ts}
            constants |= {"status": LeadStatus.RECEIVED, "created_at": now}
            created = dict(
                (key, lead_id)
                for lead_id, key in self._insert_returning(
                    LEADS, LEAD_COLUMNS, rows, constants, ("id", "dedupe_key")
                )
            )
            events = [
                (created[key], lead.submitted_by, event_data(source=lead.source))
                for key, lead in new.items()
                if key in created
            ]
            received = {"kind": EventKind.RECEIVED, "created_at": now}
            self.insert(EVENTS, EVENT_COLUMNS, events, received)
            lost = [key for key in new if key not in created]  # stored meanwhile by another writer
            ids |= self._ids_by_key(lost) if lost else {}
        results = []
        for key in keys:
            lead_id = created.pop(key, None)
            results.append((ids[key], False) if lead_id is None else (lead_id, True))
            if lead_id is not None:
                ids[key] = lead_id
        return results

    def add_qualifications(self, results: Sequence[tuple[int, QualifiedLead]]) -> None:
        """A qualification row and a `qualified` event per (lead id, qualification)."""
        now = utcnow()
        rows = [
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
            for lead_id, q in results
        ]
        self.insert(QUALIFICATIONS, QUALIFICATION_COLUMNS, rows, {"created_at": now})
        events = [(i, None, event_data(score=q.score, tier=q.tier)) for i, q in results]
        qualified = {"kind": EventKind.QUALIFIED, "created_at": now}
        self.insert(EVENTS, EVENT_COLUMNS, events, qualified)

    def move_received(self, moves: Sequence[tuple[int, LeadStatus, dict]]) -> None:
        """`LeadRepository.move_received` for a batch: the leads of (lead id, status, event
        data) still `received` move, one UPDATE per status, and get their events; a lead
        listed twice, or moved meanwhile, moves once."""
        by_status: dict[LeadStatus, dict[int, dict]] = defaultdict(dict)
        for lead_id, status, data in moves:
            by_status[status].setdefault(lead_id, data)
        now = utcnow()
        for status, group in by_status.items():
            ids = sorted(self._move(list(group), status))
            events = [(i, None, event_data(**group[i])) for i in ids]
            self.insert(EVENTS, EVENT_COLUMNS, events, {"kind": status, "created_at": now})
            if status in HANDED_OFF:
                event = HandoffEvent(status)
                self.transitions.extend(Transition(i, event, None, now, group[i]) for i in ids)

    def _move(self, ids: list[int], status: LeadStatus) -> list[int]:
        connection = self._connection()
        received = LeadStatus.RECEIVED.value
        if self._dialect.name == "postgresql":
            sql = "UPDATE leads SET status = %s WHERE id = ANY(%s) AND status = %s RETURNING id"
            return list(connection.exec_driver_sql(sql, (status.value, ids, received)).scalars())
        moved: list[int] = []
        for start in range(0, len(ids), MAX_BOUND_VALUES):
            page = ids[start : start + MAX_BOUND_VALUES]
            sql = (
                f"UPDATE leads SET status = ? WHERE id IN ({self._marks(len(page))})"
                " AND status = ? RETURNING id"
            )
            moved += connection.exec_driver_sql(sql, (status.value, *page, received)).scalars()
        return moved

    # --- to the driver -------------------------------------------------------------------------

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[tuple],
        constants: Mapping[str, object],
    ) -> None:
        """`rows` (values of `columns`, as the driver takes them) plus the `constants` of
        every row: one COPY on PostgreSQL, one executemany elsewhere."""
        if not rows:
            return
        extra = self._driver_values(table, constants)
        names = [*columns, *constants]
        connection = self._connection()
        if self._dialect.name == "postgresql":
            copy_sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            with (
                self._driver_errors(copy_sql),
                self._cursor() as cursor,
                cursor.copy(copy_sql) as copy,
            ):
                for row in rows:
                    copy.write_row(row + extra)
            return
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({self._marks(len(names))})"
        connection.exec_driver_sql(sql, [row + extra for row in rows])

    def _insert_returning(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[tuple],
        constants: Mapping[str, object],
        returning: Sequence[str],
    ) -> list[tuple]:
        """Multi-row INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING, in pages under
        the databases' bound-value limits; the inserted rows' `returning` values."""
        extra = self._driver_values(table, constants)
        names = [*columns, *constants]
        if self._dialect.name == "postgresql":
            return self._insert_returning_arrays(table, columns, rows, extra, names, returning)
        row_sql = f"({self._marks(len(names))})"
        head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
        tail = f" ON CONFLICT (dedupe_key) DO NOTHING RETURNING {', '.join(returning)}"
        page = max(1, MAX_BOUND_VALUES // len(names))
        connection = self._connection()
        returned: list[tuple] = []
        for start in range(0, len(rows), page):
            chunk = rows[start : start + page]
            values = tuple(value for row in chunk for value in (*row, *extra))
            sql = head + ", ".join([row_sql] * len(chunk)) + tail
            returned.extend(tuple(row) for row in connection.exec_driver_sql(sql, values))
        return returned

    def _insert_returning_arrays(self, table, columns, rows, extra, names, returning):
        """PostgreSQL: the rows as one array per column, unnested, so the statement has a
        dozen parameters rather than one per value (which psycopg would parse one by one)."""
        arrays = [list(column) for column in zip(*rows, strict=True)]
        casts = ", ".join(f"%b::{_array_type(table, name)}" for name in columns)
        selected = ", ".join(
            [
                *(f"{name}::{table.c[name].type.compile(self._dialect)}" for name in columns),
                *(["%s"] * len(extra)),
            ]
        )
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {selected} "
            f"FROM unnest({casts}) AS batch ({', '.join(columns)}) "
            f"ON CONFLICT (dedupe_key) DO NOTHING RETURNING {', '.join(returning)}"
        )
        return self._binary_query(sql, (*extra, *arrays))

    def _ids_by_key(self, keys: Sequence[str]) -> dict[str, int]:
        """The stored leads' ids under these dedupe keys: one query."""
        if not keys:
            return {}
        connection = self._connection()
        if self._dialect.name == "postgresql":
            sql = "SELECT dedupe_key, id FROM leads WHERE dedupe_key = ANY(%b)"
            return dict(self._binary_query(sql, (list(keys),)))
        found: dict[str, int] = {}
        for start in range(0, len(keys), MAX_BOUND_VALUES):
            page = tuple(keys[start : start + MAX_BOUND_VALUES])
            sql = f"SELECT dedupe_key, id FROM leads WHERE dedupe_key IN ({self._marks(len(page))})"
            found.update(connection.exec_driver_sql(sql, page).all())
        return found

    def _binary_query(self, sql: str, parameters: tuple) -> list[tuple]:
        """PostgreSQL: a statement's rows, its arrays (`%b`) sent in binary: psycopg writes
        a list of texts as an array literal with a regular expression per element, which
        costs more than the database's work; in binary it copies them."""
        with self._driver_errors(sql), self._cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []

    def _cursor(self):
        return self._connection().connection.dbapi_connection.cursor()

    @contextmanager
    def _driver_errors(self, sql: str):
        """The driver's errors as SQLAlchemy raises them for its own statements."""
        dbapi = self._dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:
            raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc

    @property
    def _dialect(self):
        return self.session.get_bind().dialect

    def _marks(self, count: int) -> str:
        return ", ".join(["?" if self._dialect.paramstyle == "qmark" else "%s"] * count)

    def _driver_values(self, table: Table, values: Mapping[str, object]) -> tuple:
        """Values through their columns' types for this database, once per batch (on
        SQLite a time becomes the text SQLAlchemy itself writes, not the driver's form)."""
        dialect = self._dialect
        converted = []
        for name, value in values.items():
            if isinstance(value, Enum):
                value = value.value
            if isinstance(value, datetime) and dialect.name == "postgresql":
                converted.append(value)  # COPY and psycopg take datetimes as they are
                continue
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            converted.append(processor(value) if processor and value is not None else value)
        return tuple(converted)


def _array_type(table: Table, column: str) -> str:
    """The array a column's values cross in: text for text and JSON (cast on the way in)."""
    python_type = table.c[column].type.python_type
    return "bigint[]" if python_type is int else "float8[]" if python_type is float else "text[]"
