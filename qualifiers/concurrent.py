"""A qualifier for model-backed extractors: bulk work keeps `concurrency` model calls in
flight, all the time, and does everything else outside the call slots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from qualifiers.extract.llm import LLMExtractor, ModelAnswer, ModelJob
from qualifiers.limits import ReadLimits, capped_lead, lead_budget
from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier, utc_now
from qualifiers.rubric import Rubric


class ConcurrentQualifier(Qualifier):
    """`submit` looks a batch's leads up in the cache (one query) and hands the misses to
    `concurrency` call slots at once; the waiting caller meanwhile runs the offline rules on
    the whole batch, then the evidence checks, lead by lead in input order, as the answers
    come back.

    A slot does the model call and nothing else (retries and the deadline included), and
    the slots take calls in submission order across batches, so a free slot never waits
    for another batch or another lead's checks: while calls are waiting to go out, exactly
    `concurrency` are in flight. A model call spends its time on the network, so threads
    are the right tool.
    """

    def __init__(
        self,
        extractor: LLMExtractor,
        *,
        concurrency: int = 8,
        limits: ReadLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
    ):
        super().__init__(extractor, limits=limits, clock=clock)
        self.extractor: LLMExtractor = extractor
        self.concurrency = max(1, concurrency)
        self._slots: ThreadPoolExecutor | None = None
        self._outstanding = 0  # calls submitted whose batch has not been collected yet
        self._lock = threading.Lock()

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        return self.submit(leads, rubric)()

    def submit(self, leads: Sequence[Lead], rubric: Rubric) -> Callable[[], list[Qualification]]:
        now = self.clock()
        dated = [self._dated(lead, now) for lead in leads]
        read = [capped_lead(lead, self.limits.max_chars) for lead in dated]
        jobs = [self.extractor.job(lead, rubric) for lead, _ in read]
        cached = self.extractor.cached(jobs)
        to_ask = {i: job for i, job in enumerate(jobs) if job.key not in cached and job.has_text}
        if to_ask:
            # Built here, before the calls and the caller's checks start: the client's import
            # (a second or more) then has the interpreter to itself.
            self.extractor.prepare(rubric)
        calls = self._start_calls(to_ask)

        def results() -> list[Qualification]:
            # The offline rules first, for every lead, while the first calls are out: the
            # CPU is idle then (a first batch also imports them now, see LLMExtractor), and
            # later each answer's checks do not share the interpreter with them just when the
            # slots need it to send the next calls.
            offline = []
            for read_lead, _ in read:
                with lead_budget(self.limits.budget_seconds) as budget:
                    offline.append((self.extractor.fallback.extract(read_lead, rubric)[0], budget))
            qualifications: list[Qualification] = []
            answered: list[tuple[ModelJob, ModelAnswer]] = []
            try:
                for i, (lead, job, (_, truncated), (rules, budget)) in enumerate(
                    zip(dated, jobs, read, offline, strict=True)
                ):
                    answer = calls[i].result() if i in calls else None
                    if answer is not None:
                        answered.append((job, answer))
                    extraction, usage = self.extractor.finish(
                        job, rules, cached=cached.get(job.key), answer=answer
                    )
                    qualifications.append(
                        self._scored(lead, rubric, extraction, usage, truncated, budget)
                    )
            finally:
                self._collected(len(calls))
            self.extractor.remember(answered)
            return qualifications

        return results

    def _start_calls(self, jobs: dict[int, ModelJob]) -> dict[int, Future[ModelAnswer]]:
        if not jobs:
            return {}
        with self._lock:
            if self._slots is None:
                self._slots = ThreadPoolExecutor(
                    self.concurrency, thread_name_prefix="leadbot-model-slot"
                )
            self._outstanding += len(jobs)
            return {i: self._slots.submit(self.extractor.ask, job) for i, job in jobs.items()}

    def _collected(self, calls: int) -> None:
        """A batch's calls are done with; with none left anywhere the slots' threads end (a
        long-lived qualifier keeps no idle threads, which would also stop worker forks)."""
        if not calls:
            return
        with self._lock:
            self._outstanding -= calls
            idle, slots = self._outstanding == 0, self._slots
            if idle:
                self._slots = None
        if idle and slots is not None:
            slots.shutdown(wait=True)
