"""The database: engine creation, automatic schema migration, sessions."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent). Under a lock: on
    PostgreSQL an advisory lock, on SQLite an exclusive transaction, so processes starting
    together on a new database migrate one after the other and all start."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
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
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(row_class).values(**values).on_conflict_do_nothing(index_elements=[key])
    ).returning(row_class.id)
    return session.execute(statement).scalar()
