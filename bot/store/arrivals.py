"""The ack path's one write: leads that arrived together, their `received` events and the
work each queues, in one transaction on one pooled connection, committed before it returns.

It is what `LeadRepository.add_arrivals` and `WorkOutbox.add_many` do in a unit of work,
without the session around them: under a burst of acks the session, the ORM's commit and
SQLAlchemy's statement handling cost more CPU than the database did. SQLite gets the leads
in one multi-row INSERT and their events and work in one executemany each, all on the
driver's own cursor in one transaction (SQLite has no dropped connections for SQLAlchemy to
handle); PostgreSQL gets one statement through SQLAlchemy (the leads inserted in a CTE
feeding the events' and the work items' inserts), committed on its own: one round trip.

A lead stored already (Slack's retry, a redelivery) is not stored again: the insert skips
its key, it is read back, and its work is queued again under the same dedupe key, which adds
nothing when that work exists. Keys go in sorted order, so two batches on PostgreSQL wait
for each other's keys in the same order, never in a cycle.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from bot.domain.lifecycle import EventKind, LeadStatus
from bot.domain.work import WorkMessage
from bot.store.database import multirow_sql, take_write_turn
from bot.store.repository import (
    ARRIVAL_COLUMNS,
    Arrival,
    StoredLead,
    arrival_rows,
    event_data,
    in_arrival_order,
    stored_from_row,
    stored_from_values,
)
from bot.store.tables import LeadRow, WorkItemRow

LEADS = LeadRow.__table__
WORK_ITEMS = WorkItemRow.__table__


@dataclass(frozen=True)
class ArrivalWork:
    """The work every stored arrival queues: one `message` per lead (its fields other than
    `lead_id` at their defaults), keyed `key_prefix` + the lead's id."""

    message: type[WorkMessage]
    key_prefix: str

    def key(self, lead_id: int) -> str:
        return f"{self.key_prefix}{lead_id}"

    @functools.cached_property
    def payload(self) -> str:
        return json.dumps(self.message(lead_id=0).payload())


@dataclass(frozen=True)
class Stored:
    """What `store_arrivals` did: (lead, created) per arrival in input order, and how many
    work items it added."""

    received: list[tuple[StoredLead, bool]]
    work_added: int


def store_arrivals(
    engine: Engine,
    arrivals: Sequence[Arrival],
    work: ArrivalWork,
    *,
    now: datetime,
    due_at: datetime,
) -> Stored:
    """Store `arrivals` and queue their `work`, committed on return. A key repeated among
    them is one lead, created by its first arrival."""
    values, rows = arrival_rows(arrivals, now)
    write = _postgres if engine.dialect.name == "postgresql" else _sqlite
    inserted, found, added = write(engine, rows, work, now, due_at)
    created = {key: stored_from_values(lead_id, values[key]) for lead_id, key in inserted}
    return Stored(in_arrival_order(arrivals, created, found), added)


def _sqlite(engine: Engine, rows, work, now, due_at) -> tuple[list[tuple], dict, int]:
    """On the driver's cursor: the write turn, the leads in one multi-row INSERT, their
    events and work in one executemany each, the leads stored already read back and their
    work queued again, COMMIT. Anything failing rolls back."""
    dialect = engine.dialect
    created_at = _bound(dialect, LEADS, "created_at", now)
    due = _bound(dialect, WORK_ITEMS, "due_at", due_at)
    row_sql = "(" + ", ".join(["?"] * (len(ARRIVAL_COLUMNS) + 2)) + ")"
    leads_sql = multirow_sql(
        f"INSERT INTO leads ({', '.join(ARRIVAL_COLUMNS)}, status, created_at) VALUES ",
        row_sql,
        len(rows),
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key",
    )
    bound = [v for row in rows for v in (*row, LeadStatus.RECEIVED.value, created_at)]
    connection = engine.raw_connection()
    driver = connection.driver_connection
    sql = leads_sql
    try:
        take_write_turn(driver)
        cursor = driver.cursor()
        inserted = cursor.execute(leads_sql, bound).fetchall()
        added = 0
        if inserted:
            by_key = {row[0]: row for row in rows}
            events = [
                (lead_id, RECEIVED, by_key[key][_ACTOR], event_data(source=by_key[key][_SOURCE]))
                for lead_id, key in inserted
            ]
            sql = _SQLITE_EVENTS
            cursor.executemany(sql, [(*event, created_at) for event in events])
            sql = _SQLITE_WORK
            cursor.executemany(sql, [_work_row(work, lead_id, due) for lead_id, _ in inserted])
            added = cursor.rowcount
        new_keys = {key for _, key in inserted}
        known = [row[0] for row in rows if row[0] not in new_keys]
        found: dict[str, StoredLead] = {}
        if known:
            sql = _sqlite_read_back(len(known))
            found = {
                row.dedupe_key: stored_from_row(row)
                for row in _typed_rows(dialect, cursor.execute(sql, known))
            }
            sql = _SQLITE_WORK
            again = [_work_row(work, stored.id, due) for stored in found.values()]
            cursor.executemany(sql, again)
            added += cursor.rowcount
        sql = "COMMIT"
        driver.commit()
    except BaseException as exc:
        with contextlib.suppress(dialect.loaded_dbapi.Error):
            driver.rollback()
        if isinstance(exc, dialect.loaded_dbapi.Error):
            raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error) from exc
        raise
    finally:
        connection.close()
    return inserted, found, added


RECEIVED = EventKind.RECEIVED.value
_ACTOR, _SOURCE = ARRIVAL_COLUMNS.index("submitted_by"), ARRIVAL_COLUMNS.index("source")
_SQLITE_EVENTS = (
    "INSERT INTO events (lead_id, kind, actor, data, created_at) VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_WORK = (
    "INSERT INTO work_items (kind, lead_id, payload, dedupe_key, priority, due_at, attempts) "
    "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (dedupe_key) DO NOTHING"
)
_READ_BACK = (
    "id",
    "dedupe_key",
    "external_id",
    "text",
    "fields",
    "source",
    "submitted_by",
    "intake_channel",
    "intake_ts",
    "status",
    "claimed_by",
    "claimed_at",
    "created_at",
)


def _sqlite_read_back(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return f"SELECT {', '.join(_READ_BACK)} FROM leads WHERE dedupe_key IN ({marks})"


def _typed_rows(dialect, rows) -> list[SimpleNamespace]:
    """Rows of `_READ_BACK` as SQLAlchemy would type them (JSON parsed, dates read)."""
    processors = [_result_processor(dialect, LEADS, column) for column in _READ_BACK]
    return [
        SimpleNamespace(
            **{
                column: process(value) if process else value
                for column, process, value in zip(_READ_BACK, processors, row, strict=True)
            }
        )
        for row in rows
    ]


def _postgres(engine: Engine, rows, work, now, due_at) -> tuple[list[tuple], dict, int]:
    """One statement, committed on its own (autocommit: no BEGIN and COMMIT round trips):
    the leads, as an array per column, inserted in a CTE that feeds the events' and the
    work items' inserts; the leads stored already have their work queued again and are
    read back after. A lead another batch commits while the statement waits on its key is
    in neither: it is read back after, and its work queued again, too."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    events = [event_data(source=source) for source in columns[_SOURCE]]
    parameters = (
        *columns,
        events,
        LeadStatus.RECEIVED.value,
        now,
        RECEIVED,
        now,
        work.message.kind,
        work.payload,
        work.key_prefix,
        work.message.default_priority,
        due_at,
    )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        result = connection.exec_driver_sql(_POSTGRES_ARRIVALS, parameters).all()
        inserted = [(row.id, row.dedupe_key) for row in result if row.created]
        added = result[0].queued if result else 0
        listed = {row.dedupe_key for row in result}  # their work queued by the statement
        new_keys = {key for _, key in inserted}
        known = [row[0] for row in rows if row[0] not in new_keys]
        found = _stored_by_keys(connection, known) if known else {}
        raced = [stored.id for key, stored in found.items() if key not in listed]
        added += _queue_again(connection, raced, work, due_at)
    return inserted, found, added


_POSTGRES_ARRIVALS = f"""
WITH arrived AS (
    SELECT * FROM unnest({", ".join(["%s::text[]"] * (len(ARRIVAL_COLUMNS) + 1))})
        AS arrived ({", ".join(ARRIVAL_COLUMNS)}, event_data)
), stored AS (
    INSERT INTO leads ({", ".join(ARRIVAL_COLUMNS)}, status, created_at)
    SELECT {", ".join("fields::json" if c == "fields" else c for c in ARRIVAL_COLUMNS)},
        %s, %s::timestamptz
    FROM arrived ORDER BY dedupe_key
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, dedupe_key, submitted_by
), known AS (
    SELECT id, dedupe_key FROM leads JOIN arrived USING (dedupe_key)
), received AS (
    INSERT INTO events (lead_id, kind, actor, data, created_at)
    SELECT stored.id, %s, stored.submitted_by, arrived.event_data::json, %s::timestamptz
    FROM stored JOIN arrived USING (dedupe_key)
), queued AS (
    INSERT INTO work_items (kind, lead_id, payload, dedupe_key, priority, due_at, attempts)
    SELECT %s, id, %s::json, %s::text || id, %s, %s::timestamptz, 0
    FROM (SELECT id FROM stored UNION ALL SELECT id FROM known) AS lead ORDER BY id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
), counted AS (
    SELECT count(*) AS queued FROM queued
)
SELECT true AS created, id, dedupe_key, queued FROM stored, counted
UNION ALL
SELECT false, id, dedupe_key, queued FROM known, counted
"""


def _stored_by_keys(connection: Connection, keys: Sequence[str]) -> dict[str, StoredLead]:
    query = select(LEADS).where(LEADS.c.dedupe_key.in_(sorted(keys)))
    return {row.dedupe_key: stored_from_row(row) for row in connection.execute(query)}


def _queue_again(connection, lead_ids: list[int], work: ArrivalWork, due_at: datetime) -> int:
    """The work of leads stored already (PostgreSQL): added only where its key is unused."""
    if not lead_ids:
        return 0
    sql = (
        "INSERT INTO work_items (kind, lead_id, payload, dedupe_key, priority, due_at, attempts) "
        "VALUES (%s, %s, %s, %s, %s, %s, 0) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    items = [_work_row(work, lead_id, due_at) for lead_id in sorted(lead_ids)]
    return sum(connection.exec_driver_sql(sql, item).rowcount for item in items)


def _work_row(work: ArrivalWork, lead_id: int, due) -> tuple:
    return (
        work.message.kind,
        lead_id,
        work.payload,
        work.key(lead_id),
        work.message.default_priority,
        due,
    )


def _bound(dialect, table, column: str, value):
    """`value` as the column's type binds it for the dialect's driver."""
    processor = _processor(dialect, table, column, bind=True)
    return processor(value) if processor else value


def _result_processor(dialect, table, column: str) -> Callable | None:
    return _processor(dialect, table, column, bind=False)


_PROCESSORS: dict[tuple, Callable | None] = {}


def _processor(dialect, table, column: str, *, bind: bool) -> Callable | None:
    """The column type's bind or result processor for `dialect`, looked up once."""
    cache_key = (table.name, column, dialect.name, dialect.driver, bind)
    try:
        return _PROCESSORS[cache_key]
    except KeyError:
        impl = dialect.type_descriptor(table.c[column].type)
        processor = impl.bind_processor(dialect) if bind else impl.result_processor(dialect, None)
        _PROCESSORS[cache_key] = processor
        return processor
