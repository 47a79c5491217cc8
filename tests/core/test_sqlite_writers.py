"""SQLite writers of one process take turns on a lock handed on once COMMIT returns, and
its WAL is checkpointed beside them: many threads writing at once never see "database is
locked", and every commit is kept; SQLite's own checkpoints (inside a COMMIT) are off."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.store.database import CHECKPOINT_EVERY_COMMITS, make_engine

THREADS = 8


def test_threads_writing_at_once_all_commit_and_the_wal_is_checkpointed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE rows (id INTEGER PRIMARY KEY, thread INTEGER)"))
    per_thread = CHECKPOINT_EVERY_COMMITS // THREADS + 5
    errors: list[OperationalError] = []
    start = threading.Barrier(THREADS)

    def write(thread: int) -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO rows (thread) VALUES (:t)"), {"t": thread})
                    connection.execute(text("UPDATE rows SET thread = thread WHERE id = 1"))
        except OperationalError as exc:  # "database is locked"
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rows")).scalar() == (
            THREADS * per_thread
        )
        # SQLite's own checkpoint (inside a COMMIT) is off: leadbot's runs beside writers
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    engine.dispose()
