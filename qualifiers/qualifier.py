"""A qualifier = an extractor + the rubric's pure scoring."""

from __future__ import annotations

from qualifiers.extract.base import Extractor
from qualifiers.limits import ReadLimits, capped_lead, lead_budget
from qualifiers.models import Lead, Qualification
from qualifiers.rubric import Rubric
from qualifiers.scoring import score


class Qualifier:
    """`limits` bound what one lead costs: the characters read and the time spent reading."""

    concurrency = 1  # leads `qualify_many` works on at once

    def __init__(self, extractor: Extractor, *, limits: ReadLimits | None = None):
        self.extractor = extractor
        self.limits = limits or ReadLimits()

    @property
    def name(self) -> str:
        return self.extractor.name

    def qualify(self, lead: Lead, rubric: Rubric) -> Qualification:
        read, truncated = capped_lead(lead, self.limits.max_chars)
        with lead_budget(self.limits.budget_seconds) as budget:
            extraction, usage = self.extractor.extract(read, rubric)
        notes = [extraction.note, truncated, budget and budget.note()]
        if truncated or (budget and budget.skipped):
            extraction = extraction.model_copy(update={"note": "; ".join(filter(None, notes))})
        return score(rubric, extraction, qualifier=self.name, lead_id=lead.id, usage=usage)

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        """Qualify in input order. Model-backed qualifiers override this to run concurrently."""
        return [self.qualify(lead, rubric) for lead in leads]
