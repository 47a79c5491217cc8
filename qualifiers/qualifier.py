"""A qualifier = an extractor + the rubric's pure scoring."""

from __future__ import annotations

from qualifiers.extract.base import Extractor
from qualifiers.models import Lead, Qualification
from qualifiers.rubric import Rubric
from qualifiers.scoring import score


class Qualifier:
    concurrency = 1  # leads `qualify_many` works on at once

    def __init__(self, extractor: Extractor):
        self.extractor = extractor

    @property
    def name(self) -> str:
        return self.extractor.name

    def qualify(self, lead: Lead, rubric: Rubric) -> Qualification:
        extraction, usage = self.extractor.extract(lead, rubric)
        return score(rubric, extraction, qualifier=self.name, lead_id=lead.id, usage=usage)

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        """Qualify in input order. Model-backed qualifiers override this to run concurrently."""
        return [self.qualify(lead, rubric) for lead in leads]
