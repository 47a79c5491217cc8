"""The offline extractor: deterministic rules, no network (work in progress)."""

from __future__ import annotations

from qualifiers.models import Extraction, Lead, Usage
from qualifiers.rubric import Rubric


class OfflineExtractor:
    """Answers rubric criteria from a lead's fields and text with regex rules."""

    name = "offline"

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, Usage | None]:
        return Extraction(), None
