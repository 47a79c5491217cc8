"""Runs durable work items in background threads, after Slack has been acknowledged.

Each kind of work message (`bot.domain.work`) has a handler. A handler that raises leaves
its item pending: it is retried with exponential backoff (a Slack outage delays a summary,
never loses it). Items left leased by a crashed process become available again when their
lease runs out, so pending work resumes on start.
"""

from __future__ import annotations

import logging
import threading

from bot.domain.work import Handler
from bot.services.gateway import RetryAfter
from bot.store.work_queue import WorkItem, WorkQueue

logger = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        queue: WorkQueue,
        handlers: dict[str, Handler],
        *,
        threads: int = 4,
        poll_seconds: float = 1.0,
        lease_seconds: float = 300.0,
        retry_base_seconds: float = 2.0,
        retry_max_seconds: float = 300.0,
        expected_errors: tuple[type[Exception], ...] = (),
    ):
        self.queue = queue
        self.handlers = handlers
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.expected_errors = expected_errors
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._running: list[threading.Thread] = []

    def start(self) -> Worker:
        self._stopping.clear()
        self._running = [
            threading.Thread(target=self._loop, name=f"leadbot-worker-{n}", daemon=True)
            for n in range(self.threads)
        ]
        for thread in self._running:
            thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._running:
            thread.join(timeout)
        self._running = []

    def wake(self) -> None:
        """New work was queued: look now instead of at the next poll."""
        self._wake.set()

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until no work is pending (tests and graceful shutdown)."""
        with self._progress:
            if not self._progress.wait_for(lambda: self.queue.pending() == 0, timeout):
                raise TimeoutError(f"{self.queue.pending()} work item(s) still pending")

    def retry_delay(self, attempts: int) -> float:
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** max(0, attempts - 1))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            item = self.queue.lease(self.lease_seconds)
            if item is None:
                self._wake.wait(self.poll_seconds)
                continue
            self.run_item(item)
            self._wake.set()  # finishing one item may make another lead's item available

    def run_item(self, item: WorkItem) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for work of kind {item.kind!r}")
            handler(item.message(), item.attempts)
        except RetryAfter as exc:  # paced or rate limited: not a failure, no backoff
            self.queue.retry_later(item.id, exc.seconds, str(exc))
        except Exception as exc:  # any failure leaves the work pending, to be retried
            delay = self.retry_delay(item.attempts)
            log = logger.warning if isinstance(exc, self.expected_errors) else logger.exception
            log(
                "work item %s (%s, lead %s) failed on attempt %s (%s); retrying in %.1fs",
                item.id,
                item.kind,
                item.lead_id,
                item.attempts,
                exc,
                delay,
            )
            self.queue.retry_later(item.id, delay, f"{type(exc).__name__}: {exc}")
        else:
            self.queue.finish(item.id)
        with self._progress:
            self._progress.notify_all()
