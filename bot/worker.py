"""Runs durable work items in background threads, after Slack has been acknowledged.

Each kind of work message (`bot.domain.work`) has a handler. A handler that raises leaves
its item pending: it is retried with exponential backoff, up to a limit per class of error
(`RetryPolicy`); an error that retrying cannot fix (Slack's `channel_not_found`) fails the
item at once, and `on_failed` tells whoever should know.

The worker cannot die of a failure: every database and Slack error is caught per item and
per lease, a thread that dies anyway is restarted by the supervisor, and the supervisor
renews the leases of running items (the heartbeat), so only a crashed process lets a lease
run out, and its work is taken again within a lease (about 30 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.work import Handler, WorkMessage
from bot.services.gateway import RetryAfter
from bot.store.work_queue import WorkItem, WorkQueue, new_owner

logger = logging.getLogger(__name__)

DATABASE_BACKOFF_MAX_SECONDS = 2.0
PRUNE_EVERY_SECONDS = 600.0


class ErrorClass(StrEnum):
    PERMANENT = "permanent"  # retrying cannot help: fail at once
    SLACK = "slack"  # Slack unreachable, 5xx, rate limited
    DATABASE = "database"
    OUTSIDE = "outside"  # the events receiver or the CRM unreachable or refusing
    OTHER = "other"  # a bug or bad data


def classify_unknown(_error: Exception) -> ErrorClass:
    return ErrorClass.OTHER


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts each class of error gets before its item fails."""

    max_attempts: dict[ErrorClass, int] = field(
        default_factory=lambda: {
            ErrorClass.PERMANENT: 1,
            ErrorClass.SLACK: 25,
            ErrorClass.DATABASE: 100,
            ErrorClass.OUTSIDE: 25,
            ErrorClass.OTHER: 5,
        }
    )
    classify: Callable[[Exception], ErrorClass] = classify_unknown

    def gives_up(self, error_class: ErrorClass, attempts: int) -> bool:
        return attempts >= self.max_attempts.get(error_class, 1)


# Told when an item failed for good: (message, error text). Best effort.
FailureHook = Callable[[WorkMessage, str], None]


@dataclass
class WorkerState:
    """What the worker reports to `/healthz`."""

    threads_alive: int = 0
    threads_wanted: int = 0
    restarts: int = 0
    database_error: str | None = None  # the last, while the database keeps failing
    database_error_since: float | None = None
    lost_leases: int = 0


class Worker:
    def __init__(
        self,
        queue: WorkQueue,
        handlers: dict[str, Handler],
        *,
        threads: int = 4,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
        retry_base_seconds: float = 2.0,
        retry_max_seconds: float = 300.0,
        expected_errors: tuple[type[Exception], ...] = (),
        policy: RetryPolicy | None = None,
        on_failed: FailureHook | None = None,
        retention: timedelta = timedelta(days=7),
        supervise_seconds: float | None = None,
    ):
        self.queue = queue
        self.handlers = handlers
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.expected_errors = expected_errors
        self.policy = policy or RetryPolicy()
        self.on_failed = on_failed
        self.retention = retention
        # The heartbeat renews running leases this often: well inside a lease.
        self.supervise_seconds = supervise_seconds or max(0.05, lease_seconds / 6)
        self.state = WorkerState()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._running: dict[int, threading.Thread] = {}
        self._supervisor: threading.Thread | None = None
        self._in_flight: dict[int, WorkItem] = {}
        self._in_flight_lock = threading.Lock()
        self._last_prune = 0.0

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> Worker:
        self._stopping.clear()
        self.state.threads_wanted = self.threads
        for slot in range(self.threads):
            self._start_thread(slot)
        self._supervisor = threading.Thread(
            target=self._supervise, name="leadbot-worker-supervisor", daemon=True
        )
        self._supervisor.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Let running items finish (so their leases need not run out), then stop."""
        self._stopping.set()
        self._wake.set()
        for thread in list(self._running.values()):
            thread.join(timeout)
        if self._supervisor is not None:
            self._supervisor.join(timeout)
        self._running = {}
        self._supervisor = None
        self.state.threads_wanted = 0

    @property
    def started(self) -> bool:
        return self._supervisor is not None

    def wake(self) -> None:
        """New work was queued: look now instead of at the next poll."""
        self._wake.set()

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until no work is pending (tests and graceful shutdown)."""
        with self._progress:
            if not self._progress.wait_for(self._idle, timeout):
                raise TimeoutError(f"{self._pending_text()} work item(s) still pending")

    def retry_delay(self, attempts: int) -> float:
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** max(0, attempts - 1))

    # --- the threads ---------------------------------------------------------------------------

    def _start_thread(self, slot: int) -> None:
        thread = threading.Thread(target=self._loop, name=f"leadbot-worker-{slot}", daemon=True)
        self._running[slot] = thread
        thread.start()

    def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                item = self.queue.lease(self.lease_seconds, new_owner())
            except SQLAlchemyError as exc:
                failures += 1
                self._database_failed(exc)
                self._stopping.wait(min(DATABASE_BACKOFF_MAX_SECONDS, 0.05 * 2**failures))
                continue
            failures = 0
            self._database_ok()
            if item is None:
                self._wake.wait(self.poll_seconds)
                continue
            self.run_item(item)
            self._wake.set()  # finishing one item may make another lead's item available

    def _supervise(self) -> None:
        """Restart dead threads, renew running leases, prune old work: every tick, each
        step on its own so one failing does not stop the others."""
        while not self._stopping.wait(self.supervise_seconds):
            steps = (
                self._restart_dead_threads,
                self._heartbeat,
                self._release_orphans,
                self._prune_now_and_then,
            )
            for step in steps:
                try:
                    step()
                except SQLAlchemyError as exc:
                    self._database_failed(exc)
                except Exception:  # the supervisor must outlive any bug in a step
                    logger.exception("worker supervisor step %s failed", step.__name__)

    def _restart_dead_threads(self) -> None:
        alive = 0
        for slot, thread in list(self._running.items()):
            if thread.is_alive():
                alive += 1
                continue
            if self._stopping.is_set():
                return
            logger.error("worker thread %s died; starting a new one", thread.name)
            self.state.restarts += 1
            self._start_thread(slot)
            alive += 1
        self.state.threads_alive = alive

    def _heartbeat(self) -> None:
        with self._in_flight_lock:
            running = list(self._in_flight.values())
        for item in running:
            if not self.queue.renew(item, self.lease_seconds):
                with self._in_flight_lock:
                    still_running = item.id in self._in_flight
                if still_running:
                    self.state.lost_leases += 1
                    logger.warning("lost the lease of work item %s (%s)", item.id, item.kind)

    def _release_orphans(self) -> None:
        """Work a crashed process on this host left leased runs again now."""
        released = self.queue.release_orphans()
        if released:
            logger.warning("took back %s work item(s) leased by a process that died", released)

    def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS and self._last_prune:
            return
        self._last_prune = now
        pruned = self.queue.prune(self.retention)
        if pruned:
            logger.info("pruned %s finished work item(s)", pruned)

    # --- one item ------------------------------------------------------------------------------

    def run_item(self, item: WorkItem) -> None:
        """Run one item and record the outcome; nothing it raises escapes."""
        with self._in_flight_lock:
            self._in_flight[item.id] = item
        try:
            error = self._call_handler(item)
            if error is None:
                recorded = self.queue.finish(item)
            else:
                recorded = self._record_failure(item, error)
            if not recorded:
                self.state.lost_leases += 1
                logger.warning(
                    "work item %s (%s) was taken over by another worker; its outcome here "
                    "is not recorded",
                    item.id,
                    item.kind,
                )
        except SQLAlchemyError as exc:
            # The outcome is not recorded: the lease runs out and the item runs again.
            self._database_failed(exc)
            logger.warning("could not record work item %s: %s", item.id, exc)
        finally:
            with self._in_flight_lock:
                self._in_flight.pop(item.id, None)
            with self._progress:
                self._progress.notify_all()

    def _call_handler(self, item: WorkItem) -> Exception | None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for work of kind {item.kind!r}")
            handler(item.message(), item.attempts)
        except Exception as exc:  # any failure is classified, then retried or failed
            return exc
        return None

    def _record_failure(self, item: WorkItem, error: Exception) -> bool:
        if isinstance(error, RetryAfter):  # paced or rate limited: not a failure, no backoff
            return self.queue.retry_later(item, error.seconds, str(error), priority=error.priority)
        error_class = self.classify(error)
        text = f"{type(error).__name__}: {error}"
        if self.policy.gives_up(error_class, item.attempts):
            logger.error(
                "work item %s (%s, lead %s) failed for good after %s attempt(s): %s",
                item.id,
                item.kind,
                item.lead_id,
                item.attempts,
                text,
            )
            if not self.queue.fail(item, text, error_class):
                return False
            self._tell_failed(item, text)
            return True
        delay = self.retry_delay(item.attempts)
        expected = isinstance(error, self.expected_errors) or error_class != ErrorClass.OTHER
        log = logger.warning if expected else logger.exception
        log(
            "work item %s (%s, lead %s) failed on attempt %s (%s); retrying in %.1fs",
            item.id,
            item.kind,
            item.lead_id,
            item.attempts,
            error,
            delay,
            exc_info=None if expected else error,
        )
        return self.queue.retry_later(item, delay, text, error_class)

    def classify(self, error: Exception) -> ErrorClass:
        if isinstance(error, SQLAlchemyError):
            return ErrorClass.DATABASE
        return self.policy.classify(error)

    def _tell_failed(self, item: WorkItem, text: str) -> None:
        if self.on_failed is None:
            return
        try:
            self.on_failed(item.message(), text)
        except Exception:  # telling is best effort; the failure is recorded already
            logger.exception("could not tell anyone that work item %s failed", item.id)

    # --- health --------------------------------------------------------------------------------

    def _database_failed(self, exc: Exception) -> None:
        if self.state.database_error is None:
            logger.error("worker: database unavailable (%s); retrying", exc)
            self.state.database_error_since = time.monotonic()
        self.state.database_error = str(getattr(exc, "orig", None) or exc).splitlines()[0]

    def _database_ok(self) -> None:
        if self.state.database_error is not None:
            logger.info("worker: database reachable again")
            self.state.database_error = None
            self.state.database_error_since = None

    def problems(self) -> list[str]:
        """What is wrong with this worker now, in words (empty when all is well)."""
        if not self.started:
            return []
        found = []
        alive = sum(1 for thread in self._running.values() if thread.is_alive())
        if alive < self.state.threads_wanted:
            found.append(f"{self.state.threads_wanted - alive} worker thread(s) not running")
        if self._supervisor is not None and not self._supervisor.is_alive():
            found.append("worker supervisor not running")
        if self.state.database_error is not None:
            found.append(f"worker cannot reach the database: {self.state.database_error}")
        return found

    def _idle(self) -> bool:
        try:
            return self.queue.pending() == 0
        except SQLAlchemyError:
            return False

    def _pending_text(self) -> str:
        try:
            return str(self.queue.pending())
        except SQLAlchemyError:
            return "unknown number of"
