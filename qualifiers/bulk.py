"""Qualifying many leads in the background, results handed back in the order they were
submitted, so a caller can store one chunk while later chunks are still being qualified.

Offline qualification is CPU-bound: chunks go to worker processes, forked after a warm-up so
each worker starts with the qualifier and the rubric's compiled patterns it inherits (nothing
to pickle or rebuild; only each chunk's leads and results cross, as JSON). Where forking is
not available or not safe, the run stays in this process. A model-backed qualifier waits on
the network: its `submit` starts the chunk's model calls at once (qualifiers/concurrent.py).
Otherwise a chunk is qualified when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from pydantic import TypeAdapter

from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Rubric

# Leads and qualifications cross the process boundary as JSON, which pydantic reads and
# writes much faster than pickle handles nested models.
_LEADS = TypeAdapter(list[Lead])
_QUALIFICATIONS = TypeAdapter(list[Qualification])


class Pending:
    """A submitted chunk; `result()` waits for its qualifications, in input order."""

    def __init__(self, wait: Callable[[], list[Qualification]]):
        self._wait = wait

    def result(self) -> list[Qualification]:
        return self._wait()


class OrderedQualifier:
    """`submit(leads)` starts qualifying a chunk and returns at once; use as a context
    manager so worker processes or threads are shut down."""

    def __init__(self, qualifier: Qualifier, rubric: Rubric, *, processes: int = 1):
        self.qualifier = qualifier
        self.rubric = rubric
        self.processes = processes if qualifier.concurrency == 1 and can_fork() else 1
        self._executor: ProcessPoolExecutor | None = None
        if self.processes > 1:
            self._executor = _process_pool(qualifier, rubric, self.processes)

    @property
    def parallel(self) -> int:
        """How many leads are qualified at once."""
        return max(self.processes, self.qualifier.concurrency)

    def submit(self, leads: Sequence[Lead]) -> Pending:
        leads = list(leads)
        if self._executor is None:  # a model qualifier starts its calls now, in its slots
            return Pending(self.qualifier.submit(leads, self.rubric))
        future = self._executor.submit(_qualify_in_worker, _LEADS.dump_json(leads))
        return Pending(lambda: _QUALIFICATIONS.validate_json(future.result()))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> OrderedQualifier:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


# --- worker processes ------------------------------------------------------------------------

_worker_job: tuple[Qualifier, Rubric] | None = None


def can_fork() -> bool:
    """A forked child inherits the qualifier without pickling; with other threads running it
    could inherit a lock one of them holds, so then the work stays in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _process_pool(qualifier: Qualifier, rubric: Rubric, processes: int) -> ProcessPoolExecutor:
    qualifier.qualify(Lead(text="warm-up: compile the rubric's patterns once"), rubric)
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(qualifier, rubric),
    )


def _start_worker(qualifier: Qualifier, rubric: Rubric) -> None:
    global _worker_job
    _worker_job = (qualifier, rubric)


def _qualify_in_worker(leads_json: bytes) -> bytes:
    assert _worker_job is not None, "a worker process without its qualifier"
    qualifier, rubric = _worker_job
    return _QUALIFICATIONS.dump_json(
        qualifier.qualify_many(_LEADS.validate_json(leads_json), rubric)
    )
