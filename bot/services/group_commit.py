"""Group commit: writes asked for at the same time by several threads (the acks of a burst)
done in one transaction, each caller answered only once that transaction has committed.

A commit, the statements around it and, on SQLite, the wait for the one write turn cost
about as much as all the rest of an ack; under a burst of twenty acks at once the first
caller writes alone, and the callers that come while it writes go together in the next
transaction (at most `MAX_BATCH`). There is no writer thread: the caller whose item waits
when no write runs writes the batch, as a leader, and wakes the others once it committed.

When the batch's transaction fails, each of its items is written again alone, so one bad
item fails only its own caller, with its own error. Nothing is answered before the
transaction holding it has committed: a process that dies first has answered nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 100  # items per transaction: a bounded statement and a bounded wait


class _Waiting(Generic[Item, Result]):
    """One caller's item, what became of it, and the lock its caller sleeps on until it is
    woken: its item written, or its turn to write."""

    __slots__ = ("done", "error", "item", "result", "wake", "written")

    def __init__(self, item: Item):
        self.item = item
        self.result: Result | None = None
        self.written = False
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Lock()
        self.wake.acquire()  # released once, by whoever wakes this caller


class GroupCommit(Generic[Item, Result]):
    """Calls `write(items)` (one transaction, a result per item in order) for the items of
    callers that arrive together; `submit` returns the caller's own result once committed.
    A writer wakes exactly the callers it wrote for, then the next caller queued (if any),
    which writes next: no caller is woken to find it has to sleep again."""

    def __init__(self, write: Callable[[Sequence[Item]], Sequence[Result]]):
        self.write = write
        self._lock = threading.Lock()
        self._queue: list[_Waiting[Item, Result]] = []
        self._writing = False

    def submit(self, item: Item) -> Result:
        waiting = _Waiting(item)
        with self._lock:
            self._queue.append(waiting)
            asleep, self._writing = self._writing, True
        if asleep:
            waiting.wake.acquire()
        if not waiting.done:  # woken (or first) to write
            self._write_until_done(waiting)
        if waiting.error is not None:
            raise waiting.error
        return waiting.result

    def _write_until_done(self, writer: _Waiting[Item, Result]) -> None:
        try:
            while not writer.done:
                with self._lock:
                    batch = self._queue[:MAX_BATCH]
                    del self._queue[:MAX_BATCH]
                self._write(batch)
                for waiting in batch:
                    if waiting is not writer:
                        waiting.wake.release()
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].wake.release()  # it writes next; still `_writing`
                else:
                    self._writing = False

    def _write(self, batch: list[_Waiting[Item, Result]]) -> None:
        try:
            if len(batch) == 1:
                self._write_alone(batch[0])
                return
            try:
                results = self.write([waiting.item for waiting in batch])
            except Exception:  # each item is tried alone below; its caller gets its own error
                logger.warning(
                    "a group commit of %d failed; writing each alone", len(batch), exc_info=True
                )
                for waiting in batch:
                    self._write_alone(waiting)
                return
            for waiting, result in zip(batch, results, strict=True):
                waiting.result, waiting.written = result, True
        finally:
            for waiting in batch:
                if not waiting.written and waiting.error is None:  # the leader was stopped
                    waiting.error = RuntimeError("not written: the writing thread was stopped")
                waiting.done = True

    def _write_alone(self, waiting: _Waiting[Item, Result]) -> None:
        try:
            (waiting.result,) = self.write([waiting.item])
            waiting.written = True
        except Exception as exc:  # raised again in the caller's own thread
            waiting.error = exc
