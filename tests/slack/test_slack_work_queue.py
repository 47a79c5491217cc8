"""The durable work queue and the worker that runs it: leases with owners and heartbeats,
priorities, retry limits, a supervisor that restarts threads, a database that goes away."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.domain.work import ProcessLead, RefreshSummary, SendEphemeral
from bot.store.database import Database
from bot.store.work_queue import WorkQueue
from bot.worker import ErrorClass, RetryPolicy, Worker
from qualifiers.models import Lead


def _lead(repo, text: str) -> int:
    stored, _ = repo.add_lead(Lead(text=text))
    return stored.id


def _wait(condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait on a condition with a deadline (polls; never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Clock:
    """The queue's clock, moved by the test."""

    def __init__(self):
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FlakyDatabase(Database):
    """The same database, refusing connections while `down` is set."""

    def __init__(self, database: Database):
        super().__init__(database.engine)
        self.down = threading.Event()

    def session(self):
        if self.down.is_set():
            raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))
        return super().session()


def test_one_leased_item_per_lead_urgent_first_and_dedupe(repo):
    queue = WorkQueue(repo)
    first, second, third = _lead(repo, "a"), _lead(repo, "b"), _lead(repo, "c")
    assert queue.enqueue(ProcessLead(lead_id=first), dedupe_key="process:a")
    assert not queue.enqueue(ProcessLead(lead_id=first), dedupe_key="process:a")
    queue.enqueue(RefreshSummary(lead_id=first))  # interactive: before any posting
    queue.enqueue(ProcessLead(lead_id=second))
    queue.enqueue(ProcessLead(lead_id=third), priority=30)  # a hot lead

    taken = [queue.lease(60) for _ in range(4)]
    assert [(t.kind, t.lead_id) for t in taken[:3]] == [
        ("refresh", first),
        ("process", third),
        ("process", second),
    ]
    assert taken[3] is None  # the first lead's process waits for its refresh
    assert queue.finish(taken[0])
    again = queue.lease(60)
    assert (again.kind, again.lead_id, again.attempts) == ("process", first, 1)
    assert queue.pending() == 3


def test_a_stale_owner_can_neither_finish_nor_put_back(repo):
    clock = Clock()
    queue = WorkQueue(repo, clock=clock)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    stale = queue.lease(30)
    assert queue.lease(30) is None
    clock.advance(31)  # its worker crashed, or paused past its lease
    current = queue.lease(30)
    assert current.id == stale.id and current.owner != stale.owner and current.attempts == 2
    assert not queue.finish(stale)
    assert not queue.retry_later(stale, 0, "late")
    assert not queue.renew(stale, 30)
    assert queue.lease(30) is None  # still the current owner's
    assert queue.finish(current)
    assert queue.pending() == 0


def test_failed_item_is_retried_after_its_delay(repo):
    queue = WorkQueue(repo)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    item = queue.lease(60)
    assert queue.retry_later(item, 3600, "DeliveryError: chat.postMessage: internal_error")
    assert queue.lease(60) is None  # not due yet
    assert queue.health(stuck_seconds=60, failed_window_seconds=60).pending == 0


def test_the_heartbeat_keeps_a_long_item_leased_and_a_crash_frees_it(repo):
    clock = Clock()
    queue = WorkQueue(repo, clock=clock)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "long")))
    running, release = threading.Event(), threading.Event()

    def slow(message, attempts) -> None:
        running.set()
        release.wait(10)

    worker = Worker(queue, {"process": slow}, threads=1, poll_seconds=0.02, lease_seconds=30)
    worker.supervise_seconds = 0.02
    worker.start()
    try:
        assert running.wait(10)
        for _ in range(3):  # three lease lengths pass while the item runs
            clock.advance(25)
            renewed_until = clock.now + timedelta(seconds=30)
            _wait(
                lambda until=renewed_until: _lease_until(repo) >= until,
                what="a heartbeat",
            )
            assert queue.lease(30) is None
        release.set()
        worker.wait_until_idle()
    finally:
        release.set()
        worker.stop()

    # a crashed worker sends no heartbeat: its item is free once its lease is over
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "crashed")))
    assert queue.lease(30) is not None
    clock.advance(29)
    assert queue.lease(30) is None
    clock.advance(2)
    assert queue.lease(30) is not None


def _lease_until(repo) -> datetime:
    from sqlalchemy import func, select

    from bot.store.tables import WorkItemRow

    with repo.session() as session:
        until = session.scalar(select(func.max(WorkItemRow.lease_until)))
    return until.replace(tzinfo=UTC) if until.tzinfo is None else until


def test_retry_limits_per_error_class_then_failed_and_told(repo):
    queue = WorkQueue(repo)
    told: list[tuple[str, str]] = []
    attempts_seen: list[int] = []

    class Permanent(Exception):
        pass

    def handler(message, attempts) -> None:
        attempts_seen.append(attempts)
        if message.lead_id == permanent_lead:
            raise Permanent("channel_not_found")
        raise RuntimeError("a bug")

    policy = RetryPolicy(
        max_attempts={ErrorClass.PERMANENT: 1, ErrorClass.OTHER: 3},
        classify=lambda exc: (
            ErrorClass.PERMANENT if isinstance(exc, Permanent) else ErrorClass.OTHER
        ),
    )
    worker = Worker(
        queue,
        {"process": handler},
        threads=2,
        poll_seconds=0.02,
        retry_base_seconds=0.01,
        policy=policy,
        on_failed=lambda message, error: told.append((message.lead_id, error)),
    )
    permanent_lead, buggy_lead = _lead(repo, "p"), _lead(repo, "b")
    queue.enqueue(ProcessLead(lead_id=permanent_lead))
    queue.enqueue(ProcessLead(lead_id=buggy_lead))
    worker.start()
    try:
        worker.wait_until_idle()
    finally:
        worker.stop()
    assert sorted(attempts_seen) == [1, 1, 2, 3]
    assert sorted(told) == [
        (permanent_lead, "Permanent: channel_not_found"),
        (buggy_lead, "RuntimeError: a bug"),
    ]
    total, failed = queue.failed()
    assert total == 2
    assert {(f.lead_id, f.error_class, f.attempts) for f in failed} == {
        (permanent_lead, "permanent", 1),
        (buggy_lead, "other", 3),
    }
    assert queue.lease(0) is None  # failed work is never taken again
    health = queue.health(stuck_seconds=60, failed_window_seconds=60)
    assert health.failed_recently == 2 and health.pending == 0


class ThreadKiller(BaseException):
    """Escapes every `except Exception`: kills the worker thread it is raised in."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_supervisor_restarts_a_dead_thread(repo):
    queue = WorkQueue(repo)
    ran: list[int] = []

    def handler(message, attempts) -> None:
        ran.append(message.lead_id)
        if len(ran) == 1:
            raise ThreadKiller()

    worker = Worker(queue, {"process": handler}, threads=1, poll_seconds=0.02, lease_seconds=0.3)
    worker.supervise_seconds = 0.02
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    worker.start()
    try:
        _wait(lambda: worker.state.restarts == 1, what="a restart")
        worker.wait_until_idle()  # the killed item's lease ran out and it ran again
        queue.enqueue(ProcessLead(lead_id=_lead(repo, "b")))
        worker.wake()
        worker.wait_until_idle()
        assert worker.problems() == []
    finally:
        worker.stop()
    assert len(ran) == 3


def test_worker_survives_the_database_going_away_mid_item(repo):
    database = FlakyDatabase(repo)
    queue = WorkQueue(database)
    runs: list[int] = []

    def handler(message, attempts) -> None:
        runs.append(attempts)
        if attempts == 1:
            database.down.set()  # gone before the worker records the outcome

    worker = Worker(queue, {"process": handler}, threads=2, poll_seconds=0.02, lease_seconds=0.5)
    worker.supervise_seconds = 0.05
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    worker.start()
    try:
        _wait(lambda: worker.state.database_error is not None, what="the outage to be seen")
        assert any("database" in problem for problem in worker.problems())
        database.down.clear()
        _wait(lambda: worker.state.database_error is None, what="recovery")
        worker.wait_until_idle()
        assert worker.problems() == []
        assert worker.state.threads_alive == 2
    finally:
        worker.stop()
    assert runs == [1, 2]  # the unrecorded run was taken again once its lease ran out


def test_finished_work_is_pruned_after_the_retention_and_failed_work_kept(repo):
    clock = Clock()
    queue = WorkQueue(repo, clock=clock)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    queue.enqueue(SendEphemeral(channel="C1", user="U1", text="x"))
    done, failed = queue.lease(30), queue.lease(30)
    queue.finish(done)
    queue.fail(failed, "DeliveryError: chat_postEphemeral: channel_not_found", "permanent")
    clock.advance(3600)
    assert queue.prune(timedelta(days=1)) == 0
    clock.advance(86400)
    assert queue.prune(timedelta(days=1)) == 1
    assert queue.failed()[0] == 1


def test_worker_idle_timeout_says_what_is_pending(repo):
    queue = WorkQueue(repo)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    worker = Worker(queue, {}, threads=1, poll_seconds=0.02, retry_base_seconds=60)
    worker.start()
    try:
        with pytest.raises(TimeoutError, match="1 work item"):
            worker.wait_until_idle(timeout=0.3)
    finally:
        worker.stop()
