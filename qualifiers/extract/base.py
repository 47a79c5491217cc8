"""The one interface every extractor implements."""

from __future__ import annotations

from typing import Protocol

from qualifiers.models import Extraction, Lead, Usage
from qualifiers.rubric import Rubric


class Extractor(Protocol):
    """Reads a lead and answers the rubric's criteria, each answer with its evidence."""

    name: str

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, Usage | None]: ...
