"""A qualifier = an extractor + the rubric's pure scoring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from qualifiers.arrival import arrival_from_fields
from qualifiers.extract.base import Extractor
from qualifiers.limits import Budget, ReadLimits, capped_lead, lead_budget
from qualifiers.models import Extraction, Lead, Qualification, Usage
from qualifiers.rubric import Rubric
from qualifiers.scoring import score


def utc_now() -> datetime:
    return datetime.now(UTC)


class Qualifier:
    """`limits` bound what one lead costs: the characters read and the time spent reading.
    `clock` says when a lead without `received_at` (or a date field) arrived: it is read
    here, once per lead (or batch), so extractors stay deterministic functions of the lead."""

    concurrency = 1  # leads `qualify_many` works on at once

    def __init__(
        self,
        extractor: Extractor,
        *,
        limits: ReadLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
    ):
        self.extractor = extractor
        self.limits = limits or ReadLimits()
        self.clock = clock

    @property
    def name(self) -> str:
        return self.extractor.name

    def qualify(self, lead: Lead, rubric: Rubric) -> Qualification:
        lead = self._dated(lead, None)
        read, truncated = capped_lead(lead, self.limits.max_chars)
        with lead_budget(self.limits.budget_seconds) as budget:
            extraction, usage = self.extractor.extract(read, rubric)
        return self._scored(lead, rubric, extraction, usage, truncated, budget)

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        """Qualify in input order. Model-backed qualifiers override this to run concurrently."""
        now = self.clock()
        return [self.qualify(self._dated(lead, now), rubric) for lead in leads]

    def submit(self, leads: Sequence[Lead], rubric: Rubric) -> Callable[[], list[Qualification]]:
        """Start qualifying `leads`; the function returned waits for the results, in input
        order. Here the work waits for that call; a model-backed qualifier starts its model
        calls at once."""
        leads = list(leads)
        return lambda: self.qualify_many(leads, rubric)

    def _scored(
        self,
        lead: Lead,
        rubric: Rubric,
        extraction: Extraction,
        usage: Usage | None,
        truncated: str | None,
        budget: Budget | None,
    ) -> Qualification:
        """The rubric's score, the note saying what was left unread."""
        notes = [extraction.note, truncated, budget and budget.note()]
        if truncated or (budget and budget.skipped):
            extraction = extraction.model_copy(update={"note": "; ".join(filter(None, notes))})
        return score(rubric, extraction, qualifier=self.name, lead_id=lead.id, usage=usage)

    def _dated(self, lead: Lead, now: datetime | None) -> Lead:
        """The lead with its arrival time: its own, else a date field's ('received_at',
        'Date', 'Created'), else `now`, else the clock's."""
        if lead.received_at is not None:
            return lead
        arrived = (arrival_from_fields(lead.fields) if lead.fields else None) or now
        return lead.model_copy(update={"received_at": arrived or self.clock()})
