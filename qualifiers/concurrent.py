"""A qualifier for model-backed extractors: bulk work runs several model calls at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from qualifiers.extract.base import Extractor
from qualifiers.limits import ReadLimits
from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier, utc_now
from qualifiers.rubric import Rubric


class ConcurrentQualifier(Qualifier):
    """`qualify_many` runs up to `concurrency` qualifications at a time, output in input order.

    A model call spends its time waiting on the network, so threads are the right tool; the
    extractor must be thread-safe (LLMExtractor is).
    """

    def __init__(
        self,
        extractor: Extractor,
        *,
        concurrency: int = 8,
        limits: ReadLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
    ):
        super().__init__(extractor, limits=limits, clock=clock)
        self.concurrency = max(1, concurrency)

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        if len(leads) <= 1 or self.concurrency == 1:
            return super().qualify_many(leads, rubric)
        workers = min(self.concurrency, len(leads))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="leadbot-qualify") as pool:
            return list(pool.map(lambda lead: self.qualify(lead, rubric), leads))
