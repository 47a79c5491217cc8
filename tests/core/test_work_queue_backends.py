"""The work queue on each backend (SQLite; PostgreSQL with FOR UPDATE SKIP LOCKED when
configured): concurrent workers never lease one item twice nor two items of one lead at
once, and processes migrating a new database together all start."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.domain.work import ProcessLead, RefreshSummary
from bot.store.work_queue import WorkQueue, new_owner, orphaned_on, process_running, this_host
from qualifiers.models import Lead

# Read at import, as tests/core/conftest.py does (the autouse fixture scrubs LEADBOT_*).
POSTGRES_URL = os.environ.get("LEADBOT_TEST_POSTGRES_URL")


def test_concurrent_workers_lease_each_item_once_and_one_per_lead(repository):
    queue = WorkQueue(repository)
    leads = [repository.add_lead(Lead(text=f"lead {n}"))[0].id for n in range(6)]
    for lead_id in leads:
        queue.enqueue(ProcessLead(lead_id=lead_id))
        for _ in range(3):
            queue.enqueue(RefreshSummary(lead_id=lead_id))
    expected = 4 * len(leads)
    active: set[int] = set()
    taken: list[int] = []
    overlaps: list[int] = []
    guard = threading.Lock()

    def work() -> None:
        while True:
            with guard:
                if len(taken) >= expected:
                    return
            item = queue.lease(30)
            if item is None:
                continue
            with guard:
                if item.lead_id in active:
                    overlaps.append(item.lead_id)
                active.add(item.lead_id)
                taken.append(item.id)
            with guard:
                active.discard(item.lead_id)
            assert queue.finish(item)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []
    assert sorted(taken) == sorted(set(taken)) and len(taken) == expected
    assert queue.pending() == 0


def test_work_leased_by_a_killed_process_here_is_released_at_once(repository):
    queue = WorkQueue(repository)
    lead_ids = [repository.add_lead(Lead(text=f"lead {n}"))[0].id for n in range(3)]
    for lead_id in lead_ids:
        queue.enqueue(ProcessLead(lead_id=lead_id))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid no longer runs
    crashed = queue.lease(30, f"{this_host()}/{dead.pid}/0123456789abcdef")
    elsewhere = queue.lease(30, f"another-host/{dead.pid}/0123456789abcdef")
    ours = queue.lease(30, new_owner())  # this process: alive
    assert crashed and elsewhere and ours
    assert queue.lease(30) is None  # all three leased

    assert queue.release_orphans() == 1
    again = queue.lease(30)
    assert again is not None and again.id == crashed.id
    assert not queue.finish(crashed)  # the crashed owner can no longer record anything
    assert queue.finish(again)


def test_work_tried_again_at_a_new_priority_is_taken_before_older_work(repository):
    queue = WorkQueue(repository)
    first, second = (repository.add_lead(Lead(text=f"lead {n}"))[0].id for n in range(2))
    queue.enqueue(ProcessLead(lead_id=first))
    queue.enqueue(ProcessLead(lead_id=second))
    paced = queue.lease(30)
    assert paced is not None and paced.lead_id == first
    assert queue.retry_later(paced, 0, "paced", priority=30)

    hot = queue.lease(30)
    assert hot is not None and hot.lead_id == first  # due later than the second, but hot
    assert queue.finish(hot)
    other = queue.lease(30)
    assert other is not None and other.lead_id == second


def test_an_owner_is_orphaned_only_when_it_names_a_dead_process_on_this_host():
    host = this_host()
    assert process_running(os.getpid())
    assert not orphaned_on(host, f"{host}/{os.getpid()}/abc", process_running)
    assert orphaned_on(host, f"{host}/123/abc", lambda pid: False)
    assert not orphaned_on(host, "elsewhere/123/abc", lambda pid: False)
    assert not orphaned_on(host, "0123456789abcdef0123456789abcdef", lambda pid: False)
    assert not orphaned_on(host, None, lambda pid: False)


MIGRATE = "import sys; from bot.store.database import Database; Database.from_url(sys.argv[1])"


def test_processes_migrating_a_new_database_together_all_start(tmp_path):
    _migrate_together(f"sqlite:///{tmp_path / 'fresh.db'}")
    if not POSTGRES_URL:
        return
    schema = f"leadbot_migrate_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = admin_url.update_query_dict({"options": f"-csearch_path={schema}"})
        _migrate_together(scoped.render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate_together(url: str, processes: int = 3) -> None:
    starts = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    results = [(p.wait(60), p.stderr.read().decode()) for p in starts]
    assert [code for code, _ in results] == [0] * processes, results
