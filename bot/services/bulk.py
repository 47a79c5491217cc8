"""Qualify a file's worth of leads (`leadbot qualify`, `leadbot demo`): in batches, each
batch qualified, then stored with its qualifications in one transaction (each new lead
already in its final status), while later batches are being qualified (on every core
offline, in the model's threads otherwise). Outcomes come out batch by batch, in input
order. Storing after qualifying writes each lead once instead of inserting it `received`
and moving it on; a run stopped midway stores the batches done, and running the file again
stores each lead once (its dedupe key) and asks the model nothing it answered (its cache).

Worker processes hand back each qualification serialised (`QualifiedLead`): it is stored
and printed as JSON from that text, and parsed into a model only for output that renders
one (text, Block Kit).

A batch the database refuses is split in halves until the refused row is alone: that row
gets an error outcome, every other row of the batch is stored and qualified.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from bot.intake.files import LeadEntry
from bot.store.unit_of_work import UnitOfWork
from qualifiers.bulk import OrderedQualifier, Pending, QualifiedLead
from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Rubric

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000  # leads per transaction
WORKER_CHUNK = 250  # leads per task of a worker process: the last batch ends on every core
PARALLEL_MIN_LEADS = 2 * BATCH_SIZE  # fewer: worker processes cost more than they save
ROW_ERRORS = (SQLAlchemyError, UnicodeError, ValueError)  # what one bad row can cause
DATABASE_ERRORS = (OperationalError, InterfaceError)  # the database itself: no row to blame

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome:
    """One input row's result: a qualification, or the entry's error."""

    entry: LeadEntry
    qualified: QualifiedLead | None = None
    stored_id: int | None = None

    @property
    def qualification(self) -> Qualification | None:
        return self.qualified.qualification if self.qualified is not None else None


Progress = Callable[[int, int], None]
Emit = Callable[[list[Outcome]], None]


@dataclass
class _Batch:
    entries: list[LeadEntry]
    qualifying: list[int]  # indexes into entries of the readable leads, being qualified
    pending: list[Pending]


def qualify_entries(
    entries: Sequence[LeadEntry],
    rubric: Rubric,
    qualifier: Qualifier,
    uow: UnitOfWork | None = None,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    emit: Emit | None = None,
) -> list[Outcome]:
    """Qualify every readable entry and store it (when a unit of work is given). Returns
    one outcome per entry, in order; `emit` gets them batch by batch as they are done."""
    leads = [entry.lead for entry in entries]
    readable = len(leads) - leads.count(None)
    processes = workers if readable >= PARALLEL_MIN_LEADS else 1
    outcomes: list[Outcome] = []
    with OrderedQualifier(qualifier, rubric, processes=processes, leads=leads) as runner:
        # Batches in flight: every worker busy, as much again waiting.
        ahead = max(3, -(-2 * runner.parallel * WORKER_CHUNK // BATCH_SIZE))
        in_flight: deque[_Batch] = deque()
        for start in range(0, len(entries), BATCH_SIZE):
            in_flight.append(_start(start, list(entries[start : start + BATCH_SIZE]), runner))
            while len(in_flight) > ahead:
                outcomes.extend(_finish(in_flight.popleft(), uow, emit))
                _report(progress, outcomes, entries)
        while in_flight:
            outcomes.extend(_finish(in_flight.popleft(), uow, emit))
            _report(progress, outcomes, entries)
    return outcomes


def store_qualified(
    uow: UnitOfWork, leads: Sequence[Lead], qualifications: Sequence[QualifiedLead]
) -> list[int]:
    """One transaction: the batch's leads, each new one in its final status, and every
    row's qualification, with at most one dedupe lookup; each lead's id."""
    with uow as tx:
        return tx.bulk.add_qualified_leads(leads, qualifications)


def _start(start: int, entries: list[LeadEntry], runner: OrderedQualifier) -> _Batch:
    """Start qualifying the batch's readable leads."""
    qualifying = [i for i, entry in enumerate(entries) if entry.lead is not None]
    pending = [
        runner.submit_at([start + i for i in qualifying[chunk : chunk + WORKER_CHUNK]])
        for chunk in range(0, len(qualifying), WORKER_CHUNK)
    ]
    return _Batch(entries, qualifying, pending)


def _finish(batch: _Batch, uow: UnitOfWork | None, emit: Emit | None) -> list[Outcome]:
    """Wait for the batch's qualifications and store them with their leads (one
    transaction)."""
    results = [qualified for part in batch.pending for qualified in part.result()]
    qualified = dict(zip(batch.qualifying, results, strict=True))
    entries = batch.entries
    stored: dict[int, int] = {}
    if uow is not None and qualified:

        def save(indexes: list[int]) -> list[int]:
            leads = [entries[i].lead for i in indexes]
            return store_qualified(uow, leads, [qualified[i] for i in indexes])

        indexes = list(qualified)
        for index, result in zip(indexes, _store_splitting(indexes, save), strict=True):
            if isinstance(result, Exception):
                entries[index] = _refused(entries[index], result)
                del qualified[index]
            else:
                stored[index] = result
    outcomes = [
        Outcome(entry, qualified[i], stored.get(i)) if i in qualified else Outcome(entry)
        for i, entry in enumerate(entries)
    ]
    if emit is not None:
        emit(outcomes)
    return outcomes


def _store_splitting(items: list[T], store: Callable[[list[T]], list[R]]) -> list[R | Exception]:
    """`store(items)` as one transaction; if the database refuses it, each half again, down
    to the single refused items, which get their exception instead of a result."""
    if not items:
        return []
    try:
        return list(store(items))
    except DATABASE_ERRORS:
        raise
    except ROW_ERRORS as exc:
        if len(items) == 1:
            logger.warning("a lead could not be stored: %s", exc)
            return [exc]
    middle = len(items) // 2
    return _store_splitting(items[:middle], store) + _store_splitting(items[middle:], store)


def _refused(entry: LeadEntry, error: Exception) -> LeadEntry:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return replace(entry, error=f"{entry.location}: the database refused this lead ({reason})")


def _report(progress: Progress | None, outcomes: list[Outcome], entries: Sequence) -> None:
    if progress is not None:
        progress(len(outcomes), len(entries))
