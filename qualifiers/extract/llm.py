"""The LLM extractor: one structured-output call per lead; code checks every answer it gives.

The model only reads. It fills in an answer sheet generated from the rubric (schema.py);
evidence.py keeps the answers whose evidence is a verbatim span of the lead that supports
the value (support.py) and records why the others were dropped; merge.py lets the offline
rules fill the gaps; scoring.score turns the result into points. When the model
is slow, down, rate limited past its retries, refuses, or answers garbage, the lead is
qualified offline and the note says why: model trouble never reaches the caller.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from qualifiers.extract.base import Extractor
from qualifiers.extract.cache import ExtractionCache
from qualifiers.extract.merge import as_fallback, merge
from qualifiers.extract.pricing import estimate_cost
from qualifiers.extract.prompt import lead_prompt, prompt_fingerprint, system_prompt
from qualifiers.extract.redact import DEFAULT_PHONE_REGIONS, redact
from qualifiers.extract.schema import output_model
from qualifiers.models import Extraction, Lead, Usage
from qualifiers.rubric import Rubric

if TYPE_CHECKING:  # LangChain is imported on the first model call: a cached rerun needs none
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

    from qualifiers.extract.offline import OfflineExtractor

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Exception class names -> the reason shown on the summary. Matched by name so that any
# provider's client (openai, anthropic, ...) is covered without importing it here.
_FAILURE_REASONS = {
    "APITimeoutError": "timed out",
    "TimeoutError": "timed out",
    "RateLimitError": "rate limited",
    "APIConnectionError": "connection failed",
    "ConnectionError": "connection failed",
    "InternalServerError": "server error",
    "AuthenticationError": "authentication failed",
    "PermissionDeniedError": "permission denied",
    "LengthFinishReasonError": "output truncated",
    "ContentFilterFinishReasonError": "output filtered",
    "OpenAIRefusalError": "refused",
    "ModelRefusalError": "refused",
    "ValidationError": "invalid output",
    "OutputParserException": "invalid output",
    "JSONDecodeError": "invalid output",
}


@dataclass(frozen=True)
class ModelJob:
    """One lead on its way to the model: what is sent, the day it counts from, its cache key."""

    lead: Lead
    rubric: Rubric
    key: str
    sent: str
    received: date
    started: float

    @property
    def has_text(self) -> bool:
        return bool(self.sent.strip())


@dataclass(frozen=True)
class ModelAnswer:
    """What one call gave: the proposed extraction (None: no usable answer, see `reason`)."""

    proposed: Extraction | None
    usage: Usage | None
    reason: str | None = None


class LLMExtractor:
    """Answers a rubric with a chat model; falls back to `fallback` (the offline rules).

    `extract` does one lead from start to end. A bulk scheduler (concurrent.py) runs the
    same steps apart: `job` and `cached` for a batch at once (one cache query), `ask` in a
    call slot (only the model call), `finish` (offline rules, checks) outside the slots.

    Without a `fallback`, the offline rules are the fallback. They and the evidence checks
    (which read quotes with them) are imported on first use, not with this module: their
    import compiles the offline rules' regexes (half a second), which the first model calls
    need not wait for (`offline_rules`, the one place they are imported).
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        model_name: str,
        fallback: Extractor | None = None,
        cache: ExtractionCache | None = None,
        redact_pii: bool = False,
        phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS,
        deadline_seconds: float = 120.0,
        today: Callable[[], date] | None = None,
    ):
        self.name = model_name
        self.chat_model = chat_model
        self._fallback = fallback
        self.cache = cache
        self.redact_pii = redact_pii
        self.phone_regions = phone_regions
        self.deadline_seconds = deadline_seconds
        self.today = today or (lambda: datetime.now(UTC).date())
        # The offline rules read each quote; the fallback may be anything that extracts.
        self._reader_rules: OfflineExtractor | None = None
        self._prepared: dict[str, tuple[Runnable, Runnable, str]] = {}
        self._lock = threading.Lock()
        self._rules_lock = threading.Lock()

    @property
    def fallback(self) -> Extractor:
        """The extractor for what the model does not answer: the offline rules by default."""
        return self._fallback if self._fallback is not None else self.reader_rules

    @property
    def reader_rules(self) -> OfflineExtractor:
        """The offline rules the checks read quotes with: the fallback's when it is them."""
        if self._reader_rules is None:
            with self._rules_lock:
                if self._reader_rules is None:
                    offline = offline_rules()
                    fallback = self._fallback
                    is_offline = isinstance(fallback, offline.OfflineExtractor)
                    self._reader_rules = fallback if is_offline else offline.OfflineExtractor()
        return self._reader_rules

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, Usage | None]:
        job = self.job(lead, rubric)
        offline, _ = self.fallback.extract(lead, rubric)
        cached = self.cached([job]).get(job.key)
        if cached is None and not job.has_text:
            return offline, None  # nothing for a model to read, nothing to pay for
        answer = self.ask(job) if cached is None else None
        if answer is not None and answer.proposed is not None:
            self.remember([(job, answer)])
        return self.finish(job, offline, cached=cached, answer=answer)

    def job(self, lead: Lead, rubric: Rubric) -> ModelJob:
        """The lead as the model would get it, and its cache key."""
        started = time.monotonic()
        received = arrival_date(lead, self.today)
        key = cache_key(
            lead, rubric, model=self.name, redact_pii=self.redact_pii, received=received
        )
        sent = redact(lead.searchable_text(), pii=self.redact_pii, phone_regions=self.phone_regions)
        return ModelJob(lead, rubric, key, sent, received, started)

    def cached(self, jobs: list[ModelJob]) -> dict[str, Extraction]:
        """The cached extractions of these jobs, by key: one cache query for all of them."""
        if self.cache is None or not jobs:
            return {}
        return self.cache.get_many([job.key for job in jobs])

    def remember(self, answered: list[tuple[ModelJob, ModelAnswer]]) -> None:
        """Cache the usable answers (one write for all of them); failures are never cached."""
        entries = [
            (job.key, answer.proposed, answer.usage)
            for job, answer in answered
            if answer.proposed is not None
        ]
        if self.cache is not None and entries:
            self.cache.put_many(entries)

    def ask(self, job: ModelJob) -> ModelAnswer:
        """The model call and nothing else: any failure becomes a reason, never an error."""
        from langchain_core.messages import HumanMessage, SystemMessage

        model, parser, system = self.prepare(job.rubric)
        messages: list[BaseMessage] = [
            SystemMessage(system),
            HumanMessage(lead_prompt(job.sent, received=job.received)),
        ]
        try:
            raw = run_with_deadline(lambda: model.invoke(messages), self.deadline_seconds)
        except Exception as exc:  # any provider's failure: the lead is qualified offline
            reason = failure_reason(exc)
            logger.warning(
                "model %s failed for lead %r (%s); qualifying offline",
                self.name,
                job.lead.id,
                reason,
                exc_info=reason == type(exc).__name__,  # a traceback only for the unexpected
            )
            return ModelAnswer(
                None, Usage(model=self.name, latency_ms=_elapsed_ms(job.started)), reason
            )
        usage = _usage(self.name, raw, job.started)
        try:
            parsed = parser.invoke(raw)
        except Exception as exc:  # as LangChain's include_raw: any parser failure is a reason
            parsed, reason = None, failure_reason(exc)
        else:
            reason = "empty answer"
        if parsed is None:
            logger.warning(
                "model %s gave no usable answer for lead %r (%s)", self.name, job.lead.id, reason
            )
            return ModelAnswer(None, usage, reason)
        return ModelAnswer(offline_rules().evidence.proposed_extraction(parsed, job.rubric), usage)

    def finish(
        self,
        job: ModelJob,
        offline: Extraction,
        *,
        cached: Extraction | None = None,
        answer: ModelAnswer | None = None,
    ) -> tuple[Extraction, Usage | None]:
        """The lead's extraction from a cached or fresh answer, checked against the lead and
        merged with the offline answers; the offline answers alone when there is none."""
        if cached is not None:
            usage = Usage(model=self.name, latency_ms=_elapsed_ms(job.started), cached=True)
            return self._checked(cached, job, offline), usage
        if answer is None:
            return offline, None
        if answer.proposed is None:
            return as_fallback(offline, answer.reason or "empty answer"), answer.usage
        return self._checked(answer.proposed, job, offline), answer.usage

    def _checked(self, proposed: Extraction, job: ModelJob, offline: Extraction) -> Extraction:
        """The model's answers that the lead supports, merged with the offline answers."""
        rules = offline_rules()
        rubric, lead = job.rubric, job.lead
        reader = rules.support.QuoteReader(rubric, self.reader_rules.rules_for(rubric))
        extraction = rules.evidence.checked_extraction(
            proposed,
            rubric,
            lead,
            sent=job.sent,
            offline=offline,
            reader=reader,
            as_of=job.received,
        )
        if extraction.dropped:
            logger.info(
                "lead %r: dropped model answers for %s",
                lead.id,
                ", ".join(f"{d.criterion} ({d.reason})" for d in extraction.dropped),
            )
        return merge(extraction, offline)

    def prepare(self, rubric: Rubric) -> tuple[Runnable, Runnable, str]:
        """The chat model bound to the rubric's answer sheet, the parser of its reply, and the
        system prompt, for a rubric version, built once (the first time, a deferred chat
        model imports its provider here).

        The structured-output chain is invoked in its two halves rather than with
        `include_raw=True`, whose parallel steps start threads on every call: the raw reply
        (usage) and the parsed sheet come out of the same two steps either way.
        """
        from langchain_core.runnables import RunnableSequence

        with self._lock:
            if rubric.version not in self._prepared:
                chain = self.chat_model.with_structured_output(output_model(rubric))
                model, *parsing = chain.steps
                parser = parsing[0] if len(parsing) == 1 else RunnableSequence(*parsing)
                self._prepared[rubric.version] = (model, parser, system_prompt(rubric))
            return self._prepared[rubric.version]


@functools.cache
def offline_rules() -> types.SimpleNamespace:
    """The offline rules' modules and the evidence checks built on them, imported here on
    first use rather than with this module (see `LLMExtractor`)."""
    from qualifiers.extract import evidence, offline, support

    return types.SimpleNamespace(
        OfflineExtractor=offline.OfflineExtractor, evidence=evidence, support=support
    )


def arrival_date(lead: Lead, today: Callable[[], date]) -> date:
    """The day the lead arrived, which the model counts timelines from; today if unknown."""
    return lead.received_at.date() if lead.received_at is not None else today()


def cache_key(lead: Lead, rubric: Rubric, *, model: str, redact_pii: bool, received: date) -> str:
    """Same lead content and arrival day, rubric version, model and prompt: same key (source
    and id aside). The day matters: "by end of May" is a different number of months."""
    material = {
        "text": lead.text,
        "fields": sorted(lead.fields.items()),
        "received": received.isoformat(),
        "rubric": rubric.version,
        "model": model,
        "prompt": prompt_fingerprint(),
        "redact_pii": redact_pii,
    }
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()


def run_with_deadline(call: Callable[[], T], seconds: float) -> T:
    """`call()` in a daemon thread; raises TimeoutError if it is not done within `seconds`.

    The client's own timeout and retries bound each attempt; this bounds the whole, so no
    lead waits forever whatever the provider does. An abandoned call finishes in the
    background and its answer is discarded.
    """
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to the waiting caller, never lost
            future.set_exception(exc)

    threading.Thread(target=run, name="leadbot-model-call", daemon=True).start()
    return future.result(timeout=seconds)


def failure_reason(exc: BaseException) -> str:
    """A short reason for the summary: "timed out", "HTTP 503", "refused", ..."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _FAILURE_REASONS:
            return _FAILURE_REASONS[cls.__name__]
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"HTTP {status}"
    if isinstance(exc, ValueError):
        return "invalid output"
    return type(exc).__name__


def _usage(model: str, raw: Any, started: float) -> Usage:
    metadata = getattr(raw, "usage_metadata", None) or {}
    input_tokens = int(metadata.get("input_tokens") or 0)
    output_tokens = int(metadata.get("output_tokens") or 0)
    cached_input = int((metadata.get("input_token_details") or {}).get("cache_read") or 0)
    return Usage(
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=_elapsed_ms(started),
        cost_usd=estimate_cost(model, input_tokens, output_tokens, cached_input),
    )


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
