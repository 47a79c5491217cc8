"""The database: engine creation, automatic schema migration, sessions."""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from importlib import resources
from itertools import chain
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
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
# Connections kept per process: every HTTP thread (LEADBOT_HTTP_THREADS, 32) and worker
# thread finds one without waiting for another to be given back. The one given back last is
# taken first: on SQLite its page cache is still current (a connection idle while others
# committed reads its pages again, about 30 reads per ack); on PostgreSQL its statements
# are prepared already.
POOL_OPTIONS = {"pool_size": 10, "max_overflow": 40, "pool_use_lifo": True}
# SQLite's WAL is copied into the database after this many commits of a process (about
# SQLite's own 1,000 pages), by a thread beside the writers instead of inside a commit.
CHECKPOINT_EVERY_COMMITS = 100


def make_engine(url: str) -> Engine:
    """An engine for `url`. PostgreSQL connections are not pre-pinged per checkout: a
    dropped connection invalidates the pool once and the caller's retry reconnects.
    SQLite runs in WAL mode, and its writers take turns on a lock in the process."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_recycle=1800,
            **POOL_OPTIONS,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
        )
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    database = make_url(url).database
    turns = None if in_memory or not database else SqliteWriterTurns(SQLITE_BUSY_SECONDS, database)
    if not in_memory:
        _create_private_file(database)
    connect_args: dict = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
    pool: dict = {"poolclass": StaticPool} if in_memory else POOL_OPTIONS
    if turns is not None:
        connect_args["factory"] = turns.connection_class
    engine = create_engine(url, connect_args=connect_args, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL survives a killed process (the log is fsynced at
            # checkpoints); only a power cut can cost the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
        if turns is not None:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # SqliteWriterTurns checkpoints
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.close()

    if turns is not None:
        turns.install(engine)
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
    """One SQLite writer at a time, handed on the moment the last one has committed.

    SQLite lets one connection write; the others wait in its busy handler, which sleeps and
    polls (up to 100 ms a turn), so under a burst an ack could wait a second for a lock that
    was free long before. Here a writer takes its turn before its transaction's first write
    and gives it back once its COMMIT or ROLLBACK has returned (the connection class does,
    so the next writer never finds SQLite's lock still held): a lock among the threads of
    the process, then a file lock (flock) beside the database among its processes (`leadbot
    serve` and the `leadbot worker` beside it). Both wake the next writer at once; the
    kernel frees the file lock of a killed process.

    Checkpoints (copying the WAL into the database, with an fsync) would otherwise run
    inside every thousandth page's COMMIT, holding up the writers queued behind it; here
    SQLite's automatic checkpoint is off and a thread beside the writers runs a passive
    one, which never blocks them, every `CHECKPOINT_EVERY_COMMITS` commits."""

    def __init__(self, timeout: float, database_path: str):
        self.timeout = timeout
        self.lock_path = f"{database_path}-writer.lock"
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._engine: Engine | None = None
        self._commits = 0
        self._checkpoint_due = threading.Event()
        self._checkpointer: threading.Thread | None = None
        turns = self

        class TurnTakingConnection(sqlite3.Connection):
            """A connection that gives its write turn back after COMMIT/ROLLBACK returns."""

            writing = False

            def take_write_turn(self) -> None:
                turns.take(self)

            def commit(self) -> None:
                try:
                    super().commit()
                finally:
                    turns.give_back(self, committed=True)

            def rollback(self) -> None:
                try:
                    super().rollback()
                finally:
                    turns.give_back(self)

            def close(self) -> None:
                try:
                    super().close()
                finally:
                    turns.give_back(self)

        self.connection_class = TurnTakingConnection

    def install(self, engine: Engine) -> None:
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._before_execute)

    def _before_execute(self, connection, _cursor, statement, *_args) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.writing:
            return
        if not statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            return
        self.take(dbapi_connection)

    def take(self, dbapi_connection) -> None:
        """The write turn for `dbapi_connection`, until its COMMIT or ROLLBACK returns."""
        if dbapi_connection.writing:
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
        dbapi_connection.writing = True

    def give_back(self, dbapi_connection, *, committed: bool = False) -> None:
        if not dbapi_connection.writing:
            return
        dbapi_connection.writing = False
        self._commits += committed  # under the turn: no other thread counts meanwhile
        checkpoint = committed and self._commits % CHECKPOINT_EVERY_COMMITS == 0
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()
        if checkpoint:
            self._wake_checkpointer()

    def _wake_checkpointer(self) -> None:
        if self._checkpointer is None or not self._checkpointer.is_alive():
            self._checkpointer = threading.Thread(
                target=self._checkpoint_forever, name="leadbot-sqlite-checkpoint", daemon=True
            )
            self._checkpointer.start()
        self._checkpoint_due.set()

    def _checkpoint_forever(self) -> None:
        while True:
            self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            with contextlib.suppress(sqlite3.Error, SQLAlchemyError):
                self.checkpoint()

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database, as far as readers allow (passive)."""
        with contextlib.closing(self._engine.raw_connection()) as connection:
            connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").close()


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


def take_write_turn(dbapi_connection) -> None:
    """Before a write sent straight to the driver's cursor (SQLAlchemy's own statements take
    it themselves): the SQLite write turn (`SqliteWriterTurns`), when the engine has one."""
    take = getattr(dbapi_connection, "take_write_turn", None)
    if take is not None:
        take()


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


def insert_new(session: Session, row_class: type, values: dict, key: str | None):
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id: the new row's id, or None when a
    row with the same `key` exists (no IntegrityError, so the transaction goes on). Without
    `key`, a plain INSERT ... RETURNING id.

    Straight to the driver with SQL built once per table and columns: the ack path's
    inserts, where building and compiling an insert() construct per row cost more than
    the database did. Column defaults apply as in the ORM; values go through the column
    types (JSON, dates) as SQLAlchemy would bind them."""
    table = row_class.__table__
    connection = session.connection()
    dialect = connection.dialect
    row = {**_defaults(table), **values}
    names = tuple(row)
    sql = _insert_sql(table, names, key, dialect.paramstyle)
    bound = tuple(_driver_value(table, name, row[name], dialect) for name in names)
    return connection.exec_driver_sql(sql, bound).scalar()


@functools.cache
def _defaults(table: Table) -> dict[str, object]:
    """The Python-side defaults of a table's columns (what the ORM fills in when a value is
    missing); callables are called per row, through `_DefaultCall`."""
    found: dict[str, object] = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            continue
        if default.is_scalar:
            found[column.name] = default.arg
        elif default.is_callable:
            found[column.name] = _DefaultCall(default.arg)
    return found


class _DefaultCall:
    """A column's callable default, called when the row is bound."""

    def __init__(self, function):
        self.function = function

    def __call__(self):
        return self.function(None)


@functools.cache
def _insert_sql(table: Table, names: tuple[str, ...], key: str | None, paramstyle: str) -> str:
    placeholder = "?" if paramstyle == "qmark" else "%s"
    conflict = f" ON CONFLICT ({key}) DO NOTHING" if key else ""
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))}){conflict} RETURNING id"
    )


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
    """Insert many rows in the session's transaction, straight to the driver: every batch
    insert goes through here, where building ORM objects or SQLAlchemy parameter sets per
    row costs more than the database does. Row values must be what the driver takes (str,
    int, float, None; JSON columns as serialized text); `constants` are the same for every
    row and go through the column types once. With `unique`, rows whose `unique` column
    already exists are skipped (ON CONFLICT DO NOTHING); with `returning`, the inserted
    rows' values of those columns come back (in no particular order).

    SQLite gets multi-row INSERTs under its bound-value limit: a sixth less of its work
    than an executemany of the same rows, which binds, steps and resets a statement a row.
    PostgreSQL gets one COPY, or (to skip or return rows) one INSERT of the rows as an
    array per column, unnested: a dozen parameters rather than one per value, which
    psycopg would parse one by one."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    constants = {
        name: _driver_value(table, name, value, dialect)
        for name, value in (constants or {}).items()
    }
    names = [*columns, *constants]
    extra = tuple(constants.values())
    conflict = f" ON CONFLICT ({unique}) DO NOTHING" if unique else ""
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    connection = session.connection()
    if dialect.name == "postgresql":
        if not unique and not returning:
            _copy(connection, f"COPY {table.name} ({', '.join(names)}) FROM STDIN", rows, extra)
            return []
        arrays = [list(column) for column in zip(*rows, strict=True)]
        casts = ", ".join(f"%b::{_array_type(table, name)}" for name in columns)
        selected = [f"{name}::{table.c[name].type.compile(dialect)}" for name in columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT {', '.join([*selected, *(['%s'] * len(extra))])} "
            f"FROM unnest({casts}) AS batch ({', '.join(columns)}){conflict}{back}"
        )
        return binary_query(connection, sql, (*extra, *arrays))
    # A constant NULL is written as such: binding None costs sqlite3 an adapter lookup.
    nulls = [name for name, value in constants.items() if value is None]
    extra = tuple(value for value in constants.values() if value is not None)
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = [placeholder] * (len(names) - len(nulls)) + ["NULL"] * len(nulls)
    order = [name for name in names if name not in nulls] + nulls
    head = f"INSERT INTO {table.name} ({', '.join(order)}) VALUES "
    page = max(1, MAX_BOUND_VALUES // (len(names) - len(nulls) or 1))
    returned: list[tuple] = []
    for start, size in _statement_sizes(len(rows), page):
        values = tuple(chain.from_iterable(row + extra for row in rows[start : start + size]))
        sql = multirow_sql(head, "(" + ", ".join(marks) + ")", size, conflict + back)
        result = connection.exec_driver_sql(sql, values)
        if returning:
            returned.extend(result.all())
    return returned


def _statement_sizes(count: int, page: int) -> list[tuple[int, int]]:
    """(first row, rows) of the multi-row INSERTs of `count` rows: powers of two, at most
    `page`, so that runs repeat a dozen statements, each prepared once (SQLite takes ten
    times longer to prepare a thousand-row INSERT than to run it)."""
    largest = 1 << (page.bit_length() - 1)
    sizes, start = [], 0
    while start < count:
        size = min(largest, 1 << ((count - start).bit_length() - 1))
        sizes.append((start, size))
        start += size
    return sizes


@functools.lru_cache(maxsize=256)
def multirow_sql(head: str, row: str, rows: int, tail: str) -> str:
    """One statement's text, the same object each time: its hash, which the driver's
    statement cache looks up by, is computed once."""
    return head + ", ".join([row] * rows) + tail


def binary_query(connection, sql: str, parameters: tuple) -> list[tuple]:
    """PostgreSQL: a statement's rows, its arrays (`%b`) sent in binary: psycopg writes a
    list of texts as an array literal with a regular expression per element, which costs
    more than the database's work; in binary it copies them."""
    with _driver_errors(connection, sql), _cursor(connection) as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else []


def _copy(connection, sql: str, rows: Sequence[tuple], extra: tuple) -> None:
    with _driver_errors(connection, sql), _cursor(connection) as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row + extra)


def _cursor(connection):
    return connection.connection.dbapi_connection.cursor()


@contextlib.contextmanager
def _driver_errors(connection, sql: str):
    """The driver's errors as SQLAlchemy raises them for its own statements."""
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc


def _array_type(table: Table, column: str) -> str:
    """The array a column's values cross in: text for text and JSON (cast on the way in)."""
    python_type = table.c[column].type.python_type
    return "bigint[]" if python_type is int else "float8[]" if python_type is float else "text[]"


def _driver_value(table: Table, column: str, value: object, dialect) -> object:
    if isinstance(value, _DefaultCall):
        value = value()
    if isinstance(value, Enum):
        value = value.value
    processor = _bind_processor(table, column, dialect)
    return processor(value) if processor else value


_PROCESSORS: dict[tuple, Callable | None] = {}


def _bind_processor(table: Table, column: str, dialect) -> Callable | None:
    """The column type's bind processor for `dialect`, looked up once per dialect."""
    cache_key = (table.name, column, dialect.name, dialect.driver)
    try:
        return _PROCESSORS[cache_key]
    except KeyError:
        impl = dialect.type_descriptor(table.c[column].type)  # the dialect's own type
        processor = _PROCESSORS[cache_key] = impl.bind_processor(dialect)
        return processor
