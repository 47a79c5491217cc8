"""How much of one lead is read: a cap on its characters and a time budget.

Anyone on the internet can send a lead, so reading one must cost a bounded amount whatever
its size. The cap keeps the first `max_chars` characters (fields first, then the free text);
the lead itself is stored whole and the qualification says what was left unread. The budget
is checked between extractor stages (each criterion, each knockout), never in the middle of
one, so a lead is qualified on the stages that ran: the same lead gives the same answer
unless a machine is so slow that a stage boundary falls on the other side of the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from qualifiers.models import Lead

DEFAULT_MAX_CHARS = 20_000
DEFAULT_BUDGET_SECONDS = 2.0
# A cut backs up to the last whitespace this close to the cap, so "$80,000" is not read "$80,".
_WORD_REACH = 40


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per-lead limits; None switches one off (the length benchmark measures without them)."""

    max_chars: int | None = DEFAULT_MAX_CHARS
    budget_seconds: float | None = DEFAULT_BUDGET_SECONDS


class _Stage(Protocol):
    id: str


StageT = TypeVar("StageT", bound=_Stage)


@dataclass(slots=True)
class Budget:
    """One lead's time budget and the stages it had no time for."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    deadline: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.seconds

    def expired(self) -> bool:
        return self.clock() >= self.deadline

    def note(self) -> str | None:
        if not self.skipped:
            return None
        return f"time budget of {self.seconds:g} s ran out: not read for " + ", ".join(self.skipped)


_current_budget: ContextVar[Budget | None] = ContextVar("leadbot_lead_budget", default=None)


@contextmanager
def lead_budget(seconds: float | None, clock: Callable[[], float] = time.monotonic):
    """The budget for the lead qualified inside this block (per thread and task)."""
    budget = Budget(seconds, clock) if seconds is not None else None
    token = _current_budget.set(budget)
    try:
        yield budget
    finally:
        _current_budget.reset(token)


def within_budget(stages: Iterable[StageT]) -> Iterator[StageT]:
    """`stages` while the current lead's budget lasts; the ids of the rest are noted skipped."""
    budget = _current_budget.get()
    iterator = iter(stages)
    for stage in iterator:
        if budget is not None and budget.expired():
            budget.skipped.append(stage.id)
            budget.skipped.extend(rest.id for rest in iterator)
            return
        yield stage


def capped_lead(lead: Lead, max_chars: int | None) -> tuple[Lead, str | None]:
    """The part of `lead` that is read, and a note saying what was not (None: all of it)."""
    total = len(lead.searchable_text())
    if max_chars is None or total <= max_chars:
        return lead, None
    remaining = max_chars
    fields: dict[str, str] = {}
    for key, value in lead.fields.items():
        room = remaining - len(key) - 3  # "key: " and the newline
        if room <= 0:
            break
        fields[key] = _cut(value, room)
        remaining = room - len(fields[key])
    text = _cut(lead.text, max(remaining, 0))
    read = lead.model_copy(update={"fields": fields, "text": text})
    kept = len(read.searchable_text())
    note = f"read the first {kept:,} of {total:,} characters (the rest is kept, unread)"
    return read, note


def _cut(value: str, length: int) -> str:
    if len(value) <= length:
        return value
    space = max(value.rfind(c, max(0, length - _WORD_REACH), length + 1) for c in " \n\t")
    return value[: space if space > 0 else length]
