"""The ack path's one write: leads that arrived together, their `received` events and the
work each queues, in one transaction on one pooled connection, committed before it returns.

It is what `LeadRepository.add_arrivals` and `WorkOutbox.add_many` do in a unit of work,
without the session around them: under a burst of acks the session, the ORM's commit and
SQLAlchemy's statement handling cost more CPU than the database did. SQLite gets the leads
in one multi-row INSERT and their events and work in one executemany each on the driver's
cursor, in the same transaction; PostgreSQL gets one statement (the leads inserted in a CTE
feeding the events' and the work items' inserts), one round trip.

A lead stored already (Slack's retry, a redelivery) is not stored again: the insert skips
its key, it is read back, and its work is queued again under the same dedupe key, which adds
nothing when that work exists. Keys go in sorted order, so two batches on PostgreSQL wait
for each other's keys in the same order, never in a cycle.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from bot.domain.lifecycle import EventKind, LeadStatus
from bot.domain.work import WorkMessage
from bot.store.repository import (
    LEAD_COLUMNS,
    Arrival,
    StoredLead,
    event_data,
    new_lead_values,
    stored_from_row,
    stored_from_values,
)
from bot.store.tables import LeadRow, WorkItemRow

LEADS = LeadRow.__table__
ARRIVAL_COLUMNS = (*LEAD_COLUMNS, "intake_channel", "intake_ts")


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
    connection: Connection,
    arrivals: Sequence[Arrival],
    work: ArrivalWork,
    *,
    now: datetime,
    due_at: datetime,
) -> Stored:
    """Store `arrivals` and queue their `work` on `connection` and commit. A key repeated
    among them is one lead, created by its first arrival."""
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
    write = _postgres if connection.dialect.name == "postgresql" else _sqlite
    inserted, found, added = write(connection, rows, work, now, due_at)
    created = {key: stored_from_values(lead_id, values[key]) for lead_id, key in inserted}
    missing = [key for key in first_by_key if key not in created and key not in found]
    if missing:  # stored already (on PostgreSQL: committed by another batch meanwhile)
        again = _stored_by_keys(connection, missing)
        added += _queue_again(connection, [stored.id for stored in again.values()], work, due_at)
        found.update(again)
    connection.commit()
    received = []
    for arrival in arrivals:
        key = arrival.dedupe_key
        stored = created.pop(key, None)
        if stored is not None:
            found[key] = stored  # a later arrival with this key finds it, not created
            received.append((stored, True))
        elif key in found:
            received.append((found[key], False))
        else:
            raise LookupError(f"lead with dedupe key {key!r} vanished")
    return Stored(received, added)


def _sqlite(connection, rows, work, now, due_at) -> tuple[list[tuple], dict, int]:
    """The leads in one multi-row INSERT through SQLAlchemy (which takes the write turn and
    begins the transaction), their events and work on the driver's cursor after it."""
    created_at = _bound(connection, LEADS, "created_at", now)
    row_sql = "(" + ", ".join(["?"] * (len(ARRIVAL_COLUMNS) + 2)) + ")"
    sql = (
        f"INSERT INTO leads ({', '.join(ARRIVAL_COLUMNS)}, status, created_at) VALUES "
        + ", ".join([row_sql] * len(rows))
        + " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    )
    bound = [v for row in rows for v in (*row, LeadStatus.RECEIVED.value, created_at)]
    inserted = connection.exec_driver_sql(sql, tuple(bound)).all()
    if not inserted:
        return [], {}, 0
    by_key = {row[0]: row for row in rows}
    submitted_by, source = ARRIVAL_COLUMNS.index("submitted_by"), ARRIVAL_COLUMNS.index("source")
    events = [
        (
            lead_id,
            EventKind.RECEIVED.value,
            by_key[key][submitted_by],
            event_data(source=by_key[key][source]),
            created_at,
        )
        for lead_id, key in inserted
    ]
    due = _bound(connection, WorkItemRow.__table__, "due_at", due_at)
    items = [_work_row(work, lead_id, due) for lead_id, _ in inserted]
    with _driver_cursor(connection, _SQLITE_WORK) as cursor:
        cursor.executemany(_SQLITE_EVENTS, events)
        cursor.executemany(_SQLITE_WORK, items)
        return inserted, {}, cursor.rowcount


_SQLITE_EVENTS = (
    "INSERT INTO events (lead_id, kind, actor, data, created_at) VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_WORK = (
    "INSERT INTO work_items (kind, lead_id, payload, dedupe_key, priority, due_at, attempts) "
    "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (dedupe_key) DO NOTHING"
)


def _postgres(connection, rows, work, now, due_at) -> tuple[list[tuple], dict, int]:
    """One statement, committed on its own (autocommit: no BEGIN and COMMIT round trips):
    the leads, as an array per column, inserted in a CTE that feeds the events' and the
    work items' inserts; the leads stored already come back whole, their work queued
    again. A lead another batch commits while this statement runs is in neither; the
    caller reads it after."""
    connection.execution_options(isolation_level="AUTOCOMMIT")
    columns = [list(column) for column in zip(*rows, strict=True)]
    events = [event_data(source=source) for source in columns[ARRIVAL_COLUMNS.index("source")]]
    parameters = (
        *columns,
        events,
        LeadStatus.RECEIVED.value,
        now,
        EventKind.RECEIVED.value,
        now,
        work.message.kind,
        work.payload,
        work.key_prefix,
        work.message.default_priority,
        due_at,
    )
    inserted, found, added = [], {}, 0
    for row in connection.exec_driver_sql(_POSTGRES_ARRIVALS, parameters):
        added = row.queued
        if row.created:
            inserted.append((row.id, row.dedupe_key))
        else:
            found[row.dedupe_key] = stored_from_row(row)
    return inserted, found, added


_READ_BACK = (
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
    SELECT leads.* FROM leads JOIN arrived USING (dedupe_key)
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
SELECT true AS created, id, dedupe_key, {", ".join(f"NULL AS {c}" for c in _READ_BACK)}, queued
FROM stored, counted
UNION ALL
SELECT false, id, dedupe_key, {", ".join(_READ_BACK)}, queued
FROM known, counted
"""


def _stored_by_keys(connection: Connection, keys: Sequence[str]) -> dict[str, StoredLead]:
    query = select(LEADS).where(LEADS.c.dedupe_key.in_(sorted(keys)))
    return {row.dedupe_key: stored_from_row(row) for row in connection.execute(query)}


def _queue_again(connection, lead_ids: list[int], work: ArrivalWork, due_at: datetime) -> int:
    """The work of leads stored already: added only where its key is not used yet."""
    if not lead_ids:
        return 0
    table = WorkItemRow.__table__
    due = _bound(connection, table, "due_at", due_at)
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "INSERT INTO work_items (kind, lead_id, payload, dedupe_key, priority, due_at, attempts) "
        f"VALUES ({', '.join([placeholder] * 6)}, 0) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    items = [_work_row(work, lead_id, due) for lead_id in sorted(lead_ids)]
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


def _bound(connection, table, column: str, value):
    """`value` as the column's type binds it for this connection's driver."""
    processor = _bind_processor(table, column, connection.dialect)
    return processor(value) if processor else value


_PROCESSORS: dict[tuple, Callable | None] = {}


def _bind_processor(table, column: str, dialect) -> Callable | None:
    """The column type's bind processor for `dialect`, looked up once per dialect."""
    cache_key = (table.name, column, dialect.name, dialect.driver)
    try:
        return _PROCESSORS[cache_key]
    except KeyError:
        processor = dialect.type_descriptor(table.c[column].type).bind_processor(dialect)
        _PROCESSORS[cache_key] = processor
        return processor


@contextlib.contextmanager
def _driver_cursor(connection: Connection, sql: str) -> Iterator:
    """A cursor of the connection's driver (in its transaction), its errors raised as
    SQLAlchemy raises them for its own statements."""
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        yield cursor
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc
    finally:
        cursor.close()
