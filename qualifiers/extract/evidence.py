"""Checks that a model's evidence is really in the lead: the model may quote, never invent.

An answer counts only when its evidence is a verbatim span of the lead (ignoring case and
differences in whitespace), starting and ending on word boundaries so that "1" cannot be
"found" inside "2019". Amounts and counts get one more check, so that a real quote cannot
carry an invented number: a quote with digits supports only those numbers (optionally
scaled by thousand/million/billion); a quote without digits supports a non-zero number
only if it has a number word ("six figures", "two hundred").
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel

from qualifiers.extract.schema import parse_value
from qualifiers.models import Answer, Extraction, KnockoutHit
from qualifiers.rubric import Criterion, Rubric

_QUOTE_MARKS = "\"'`“”‘’«»"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SCALES = (1, 1_000, 1_000_000, 1_000_000_000)
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty|"
    r"hundred|thousand|million|billion|dozens?|half|couple|few|several|figures?|grand)\b",
    re.IGNORECASE,
)
MAX_QUESTION = 300


def clean_quote(evidence: object) -> str | None:
    """The quote without surrounding whitespace or quotation marks; None if there is none."""
    if not isinstance(evidence, str):
        return None
    quote = evidence.strip().strip(_QUOTE_MARKS).strip()
    return quote or None


def find_span(quote: str, text: str) -> str | None:
    """The span of `text` that `quote` copies (whole words, any case and whitespace), or None."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(word) for word in words)
    if re.match(r"\w", words[0]):
        pattern = r"(?<!\w)(?<!\d[.,])" + pattern  # "400" is not in "1,400"
    if re.search(r"\w$", words[-1]):
        pattern += r"(?!\w)(?![.,]\d)"
    match = re.search(pattern, text, re.IGNORECASE)
    return match.group() if match else None


def numbers_in(quote: str) -> set[float]:
    """Every reading of the numbers in `quote`: 1,400 and 1.400 are 1400; 1.5 is 1.5."""
    readings: set[float] = set()
    for token in _NUMBER.findall(quote):
        readings.add(float(token.replace(",", "")))
        if token.count(",") == 1 and "." not in token:
            readings.add(float(token.replace(",", ".")))
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
            readings.add(float(token.replace(".", "")))
    return readings


def supports_number(quote: str, value: float) -> bool:
    """Whether `quote` can mean `value`: "80k" supports 80000, "six figures" 100000,
    "no budget" 0, "budget approved" nothing."""
    readings = numbers_in(quote)
    if not readings:
        return value == 0 or _NUMBER_WORD.search(quote) is not None
    return any(
        math.isclose(value, reading * scale, rel_tol=1e-9)
        for reading in readings
        for scale in _SCALES
    )


def checked_extraction(
    parsed: BaseModel, rubric: Rubric, *, sent: str, lead_text: str
) -> Extraction:
    """The model's reply reduced to what the lead supports; the note lists what was dropped.

    Evidence must be in the text the model was sent (`sent`, possibly redacted) and in the
    lead itself (`lead_text`); the stored evidence is the lead's own span.
    """
    answers: dict[str, Answer] = {}
    questions: dict[str, str] = {}
    dropped: list[str] = []
    replies = getattr(parsed, "criteria", None)
    for criterion in rubric.criteria:
        reply = getattr(replies, criterion.id, None)
        if reply is None:
            continue
        if question := _clean_question(getattr(reply, "question", None)):
            questions[criterion.id] = question
        if reply.value is None:
            continue
        answer, problem = _checked_answer(criterion, reply, sent, lead_text)
        if answer is None:
            dropped.append(f"{criterion.id} ({problem})")
        else:
            answers[criterion.id] = answer
    knockouts: list[KnockoutHit] = []
    known = {k.id for k in rubric.knockouts}
    for hit in getattr(parsed, "knockouts", None) or []:
        span = _span_in_both(hit.evidence, sent, lead_text)
        if hit.id not in known or span is None:
            dropped.append(f"knockout {hit.id} (evidence not in the lead)")
        elif hit.id not in {k.id for k in knockouts}:
            knockouts.append(KnockoutHit(id=hit.id, evidence=span, source="model"))
    note = f"dropped model answers: {'; '.join(dropped)}" if dropped else None
    return Extraction(answers=answers, knockouts=knockouts, questions=questions, note=note)


def _checked_answer(
    criterion: Criterion, reply: Any, sent: str, lead_text: str
) -> tuple[Answer | None, str]:
    value = parse_value(criterion, reply.value)
    if value is None:
        return None, f"{reply.value!r} is not a valid {criterion.type} answer"
    span = _span_in_both(reply.evidence, sent, lead_text)
    if span is None:
        return None, "evidence not in the lead"
    if criterion.type in ("money", "number") and not supports_number(span, float(value)):
        return None, f"evidence does not state {value}"
    return Answer(
        value=value, evidence=span, confidence=_confidence(reply.confidence), source="model"
    ), ""


def _span_in_both(evidence: Any, sent: str, lead_text: str) -> str | None:
    quote = clean_quote(evidence)
    if quote is None or find_span(quote, sent) is None:
        return None
    return find_span(quote, lead_text)


def _confidence(raw: Any) -> float:
    """The model's confidence clamped to 0..1; 0.5 when it gave none that makes sense."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return 0.5
    return min(1.0, max(0.0, float(raw)))


def _clean_question(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    question = " ".join(raw.split())
    return question if 0 < len(question) <= MAX_QUESTION else None
