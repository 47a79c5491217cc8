"""Qualifying many leads in the background, results handed back in the order they were
submitted, so a caller can store one chunk while later chunks are still being qualified.

Offline qualification is CPU-bound: chunks go to worker processes, forked after a warm-up so
each worker starts with the qualifier, the rubric's compiled patterns and the run's leads it
inherits (nothing to pickle or rebuild: a chunk crosses as its leads' positions). A worker
hands back each qualification already serialised, as a `QualifiedLead`: what the store
writes and what `--format json` prints, so the parent never rebuilds the pydantic model
unless it renders one. Where forking is not available or not safe, the run stays in this
process. A model-backed qualifier waits on the network: its `submit` starts the chunk's model
calls at once (qualifiers/concurrent.py). Otherwise a chunk is qualified when its result is
asked for.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Rubric

NO_USAGE = (None, 0, 0, 0, 0.0)  # model, input and output tokens, latency (ms), cost (USD)


class QualifiedLead:
    """One qualification in the forms a bulk run uses: the columns it is stored under, the
    stored record (`result_json`) and the `--format json` line (`public_json`). Built from
    either the model or a worker's serialised row; each form is made once, when first used."""

    __slots__ = (
        "_public_json",
        "_qualification",
        "_result_json",
        "knockout",
        "qualifier",
        "rubric_name",
        "rubric_version",
        "score",
        "tier",
        "usage",
    )

    def __init__(
        self,
        score: int,
        tier: str,
        knockout: str | None,
        rubric_name: str,
        rubric_version: str,
        qualifier: str,
        usage: tuple,
        result_json: str | None = None,
        public_json: str | None = None,
        qualification: Qualification | None = None,
    ):
        self.score = score
        self.tier = tier
        self.knockout = knockout
        self.rubric_name = rubric_name
        self.rubric_version = rubric_version
        self.qualifier = qualifier
        self.usage = usage
        self._result_json = result_json
        self._public_json = public_json
        self._qualification = qualification

    @classmethod
    def of(cls, qualification: Qualification) -> QualifiedLead:
        return cls(
            qualification.score,
            qualification.tier,
            qualification.knockout,
            qualification.rubric.name,
            qualification.rubric.version,
            qualification.qualifier,
            _usage_columns(qualification),
            qualification=qualification,
        )

    def row(self) -> tuple:
        """Every form, serialised: what a worker sends back (`QualifiedLead(*row)`)."""
        return (
            self.score,
            self.tier,
            self.knockout,
            self.rubric_name,
            self.rubric_version,
            self.qualifier,
            self.usage,
            self.result_json,
            self.public_json,
        )

    @property
    def qualification(self) -> Qualification:
        if self._qualification is None:
            self._qualification = Qualification.model_validate_json(self._result_json)
        return self._qualification

    @property
    def result_json(self) -> str:
        """The whole qualification as JSON: the stored record."""
        if self._result_json is None:
            self._result_json = self.qualification.model_dump_json()
        return self._result_json

    @property
    def public_json(self) -> str:
        """The `leadbot qualify --format json` line (without its newline)."""
        if self._public_json is None:
            self._public_json = json.dumps(self.qualification.public_dict(), ensure_ascii=False)
        return self._public_json


def _usage_columns(qualification: Qualification) -> tuple:
    usage = qualification.usage
    if usage is None:
        return NO_USAGE
    return (usage.model, usage.input_tokens, usage.output_tokens, usage.latency_ms, usage.cost_usd)


class Pending:
    """A submitted chunk; `result()` waits for its qualifications, in input order."""

    def __init__(self, wait: Callable[[], list[QualifiedLead]]):
        self._wait = wait

    def result(self) -> list[QualifiedLead]:
        return self._wait()


class OrderedQualifier:
    """`submit(leads)` starts qualifying a chunk and returns at once; `submit_at(positions)`
    the same for the chunk of `leads` (given here, inherited by the workers) at those
    positions, which is all that crosses to a worker. Use as a context manager so worker
    processes or threads are shut down."""

    def __init__(
        self,
        qualifier: Qualifier,
        rubric: Rubric,
        *,
        processes: int = 1,
        leads: Sequence[Lead | None] = (),
    ):
        self.qualifier = qualifier
        self.rubric = rubric
        self.leads = leads
        self.processes = processes if qualifier.concurrency == 1 and can_fork() else 1
        self._executor: ProcessPoolExecutor | None = None
        if self.processes > 1:
            self._executor = _process_pool(qualifier, rubric, leads, self.processes)

    @property
    def parallel(self) -> int:
        """How many leads are qualified at once."""
        return max(self.processes, self.qualifier.concurrency)

    def submit(self, leads: Sequence[Lead]) -> Pending:
        leads = list(leads)
        if self.processes > 1:
            future = self._executor.submit(_qualify_in_worker, None, leads)
            return Pending(lambda: [QualifiedLead(*row) for row in future.result()])
        return self._submit_here(leads)

    def submit_at(self, positions: Sequence[int]) -> Pending:
        positions = list(positions)
        if self.processes > 1:
            future = self._executor.submit(_qualify_in_worker, positions, None)
            return Pending(lambda: [QualifiedLead(*row) for row in future.result()])
        return self._submit_here([self.leads[i] for i in positions])

    def _submit_here(self, leads: list[Lead]) -> Pending:
        wait = self.qualifier.submit(leads, self.rubric)  # a model starts its calls now
        return Pending(lambda: list(map(QualifiedLead.of, wait())))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> OrderedQualifier:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


# --- worker processes ------------------------------------------------------------------------

_worker_job: tuple[Qualifier, Rubric, Sequence[Lead | None]] | None = None


def can_fork() -> bool:
    """A forked child inherits the qualifier without pickling; with other threads running it
    could inherit a lock one of them holds, so then the work stays in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _process_pool(
    qualifier: Qualifier, rubric: Rubric, leads: Sequence[Lead | None], processes: int
) -> ProcessPoolExecutor:
    qualifier.qualify(Lead(text="warm-up: compile the rubric's patterns once"), rubric)
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(qualifier, rubric, leads),  # inherited through the fork, never pickled
    )


def _start_worker(qualifier: Qualifier, rubric: Rubric, leads: Sequence[Lead | None]) -> None:
    global _worker_job
    _worker_job = (qualifier, rubric, leads)


def _qualify_in_worker(positions: list[int] | None, leads: list[Lead] | None) -> list[tuple]:
    """The chunk's qualifications as `QualifiedLead` rows, everything serialised here in
    the worker (plain tuples of strings and numbers pickle at the speed of a copy)."""
    assert _worker_job is not None, "a worker process without its qualifier"
    qualifier, rubric, inherited = _worker_job
    if leads is None:
        leads = [inherited[i] for i in positions]
    return [QualifiedLead.of(q).row() for q in qualifier.qualify_many(leads, rubric)]
