"""The database: engine creation, automatic schema migration, sessions."""

from __future__ import annotations

import ast
import contextlib
import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:  # Alembic is imported only when a schema is checked in depth or migrated
    from alembic.config import Config

# Package data, found with importlib.resources (Alembic's "package:folder" form).
MIGRATIONS = "bot.store:migrations"
SQLITE_BUSY_SECONDS = 30.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# pg_advisory_xact_lock key of schema migrations ("leadbot" in ASCII): replicas starting
# together on a new database migrate one after the other.
MIGRATION_LOCK_KEY = 0x6C65616462_6F74
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def make_engine(url: str) -> Engine:
    """An engine for `url`. PostgreSQL connections are not pre-pinged per checkout: a
    dropped connection invalidates the pool once and the caller's retry reconnects.
    SQLite runs in WAL mode, and its writers take turns on a lock in the process."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_size=10,
            max_overflow=30,
            pool_recycle=1800,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
        )
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if not in_memory:
        _create_private_file(make_url(url).database)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL survives a killed process (the log is fsynced at
            # checkpoints); only a power cut can cost the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.close()

    if not in_memory and engine.url.database:
        SqliteWriterTurns(SQLITE_BUSY_SECONDS, f"{engine.url.database}-writer.lock").install(engine)
    return engine


def _create_private_file(path: str | None) -> None:
    """A new database file is readable by its owner only (0600): it holds every lead. SQLite
    gives its -wal and -shm files the same mode. An existing file keeps the mode it has; a
    file that cannot be made here (no such folder) is left for SQLite to report as usual."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, list[str]]:
    """The database's Alembic revision (None: no leadbot tables yet) and every revision this
    leadbot knows, newest first. Reads only; raises SQLAlchemyError when unreachable."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, [revision.revision for revision in script.walk_revisions()]


class SqliteWriterTurns:
    """One SQLite writer at a time, handed on the moment the last commits.

    SQLite lets one connection write; the others wait in its busy handler, which sleeps and
    polls (up to 100 ms a turn), so under a burst an ack could wait a second for a lock that
    was free long before. Here a writer takes turns before its transaction's first write and
    gives them back at commit or rollback: a lock among the threads of the process, then a
    file lock (flock) among the processes on the database (`leadbot serve` and the `leadbot
    worker` beside it). Both wake the next writer at once; the kernel frees the file lock
    of a killed process."""

    def __init__(self, timeout: float, lock_path: str):
        self.timeout = timeout
        self.lock_path = lock_path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._release_connection)
        event.listen(engine, "rollback", self._release_connection)
        event.listen(engine.pool, "reset", self._release_reset)
        event.listen(engine.pool, "checkin", self._release_record)
        event.listen(engine.pool, "invalidate", self._release_invalidated)

    def _before_execute(self, connection, _cursor, statement, *_args) -> None:
        info = connection.connection.info  # the pooled DBAPI connection's own dict
        if info.get("writing") or not statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            return
        if not self._lock.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked (no write turn in time)")
        try:
            if self._fd is None:
                flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
                self._fd = os.open(self.lock_path, flags, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            self._lock.release()
            raise
        info["writing"] = True

    def _release_connection(self, connection) -> None:
        self._release(connection.connection.info)

    def _release_record(self, dbapi_connection, connection_record) -> None:
        self._release(connection_record.info)

    def _release_reset(self, dbapi_connection, connection_record, reset_state) -> None:
        self._release(connection_record.info)

    def _release_invalidated(self, dbapi_connection, connection_record, exception) -> None:
        self._release(connection_record.info)

    def _release(self, info: dict) -> None:
        if info.pop("writing", False):
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                self._lock.release()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=]*=\s*(.+?)\s*$", re.MULTILINE)


def head_revisions() -> set[str]:
    """The newest revision(s) of the shipped migrations, read from their files' `revision`
    and `down_revision` lines without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str | None] = set()
    folder = resources.files("bot.store").joinpath("migrations", "versions")
    for script in folder.iterdir():
        if script.name.endswith(".py"):
            found = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
            revisions.add(ast.literal_eval(found["revision"]))
            down = ast.literal_eval(found["down_revision"])
            parents.update(down if isinstance(down, tuple | list) else [down])
    return revisions - parents


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision already: one query, no Alembic (a
    start-up on a current schema, every CLI run, costs no migration machinery)."""
    try:
        with engine.connect() as connection:
            current = {
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:  # no leadbot tables yet, or unreachable: migrate() tells which
        return False
    return current == head_revisions()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent). Under a lock: on
    PostgreSQL an advisory lock, on SQLite an exclusive transaction, so processes starting
    together on a new database migrate one after the other and all start."""
    if schema_is_current(engine):
        return
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        elif engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database:
    """The engine and its sessions. Use cases open a `UnitOfWork` on it; reports (stats,
    the extraction cache, the work queue) open a session for their one statement."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect and migrate the schema to the newest version."""
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions()

    def ping(self) -> None:
        """One round trip; raises SQLAlchemyError when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def insert_new(session: Session, row_class: type, values: dict, key: str):
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id: the new row's id, or None when a
    row with the same `key` exists. No IntegrityError, so the transaction goes on."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(row_class).values(**values).on_conflict_do_nothing(index_elements=[key])
    ).returning(row_class.id)
    return session.execute(statement).scalar()


MAX_BOUND_VALUES = 30_000  # SQLite allows 32,766 per statement; PostgreSQL 65,535


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    constants: Mapping[str, object] | None = None,
    unique: str | None = None,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert many rows in the session's transaction, straight to the driver: the bulk
    path, where building ORM objects or SQLAlchemy parameter sets per row costs more than
    the database does. Row values must be what the driver takes (str, int, float, None;
    JSON columns as serialized text); `constants` are the same for every row and go
    through the column types once. With `unique`, rows whose `unique` column already
    exists are skipped (ON CONFLICT DO NOTHING); with `returning`, the inserted rows'
    values of those columns come back (in no particular order)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    constants = {
        name: _driver_value(table, name, value, dialect)
        for name, value in (constants or {}).items()
    }
    names = [*columns, *constants]
    extra = tuple(constants.values())
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    row_sql = "(" + ", ".join([placeholder] * len(names)) + ")"
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    tail = f" ON CONFLICT ({unique}) DO NOTHING" if unique else ""
    connection = session.connection()
    if not returning:
        connection.exec_driver_sql(head + row_sql + tail, [row + extra for row in rows])
        return []
    tail += f" RETURNING {', '.join(returning)}"
    page = max(1, MAX_BOUND_VALUES // len(names))
    returned: list[tuple] = []
    for start in range(0, len(rows), page):
        chunk = rows[start : start + page]
        values = tuple(value for row in chunk for value in (*row, *extra))
        sql = head + ", ".join([row_sql] * len(chunk)) + tail
        returned.extend(tuple(row) for row in connection.exec_driver_sql(sql, values))
    return returned


def _driver_value(table: Table, column: str, value: object, dialect) -> object:
    if isinstance(value, Enum):
        value = value.value
    processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value
