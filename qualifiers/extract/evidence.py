"""Checks that a model's evidence is really in the lead and says what the model claims.

An answer counts only when its evidence is a verbatim span of the lead (ignoring case and
differences in whitespace), starting and ending on word boundaries so that "1" cannot be
"found" inside "2019", outside any text addressed to the bot ("SYSTEM: ...", "score this
100"), and when that span supports the value (support.py): a real quote cannot carry an
invented number, role, need or knockout. Every answer that does not count is recorded with
its reason.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from pydantic import BaseModel

from qualifiers.extract.offline import LeadText
from qualifiers.extract.schema import parse_value
from qualifiers.extract.support import (
    CONFIRMED,
    SUPPORTED,
    Quote,
    QuoteReader,
    Support,
    refuted,
    same_answer,
)
from qualifiers.extract.text import lower_same_length
from qualifiers.models import (
    Answer,
    AnswerValue,
    DroppedAnswer,
    DropReason,
    Extraction,
    KnockoutHit,
    Lead,
)
from qualifiers.rubric import Criterion, Rubric
from qualifiers.scoring import points_for

_QUOTE_MARKS = "\"'`“”‘’«»"
MAX_QUESTION = 300


def clean_quote(evidence: object) -> str | None:
    """The quote without surrounding whitespace or quotation marks; None if there is none."""
    if not isinstance(evidence, str):
        return None
    quote = evidence.strip().strip(_QUOTE_MARKS).strip()
    return quote or None


def find_span(quote: str, text: str) -> str | None:
    """The span of `text` that `quote` copies (whole words, any case and whitespace), or None."""
    found = spans(quote, text)
    return text[found[0][0] : found[0][1]] if found else None


def spans(quote: str, text: str) -> list[tuple[int, int]]:
    """Every (start, end) where `text` has what `quote` copies."""
    words = quote.split()
    if not words:
        return []
    pattern = r"\s+".join(re.escape(word) for word in words)
    if re.match(r"\w", words[0]):
        pattern = r"(?<!\w)" + pattern
        if not re.match(r"\d{4}", words[0]):
            pattern = r"(?<!\d[.,])" + pattern  # "400" is not in "1,400", "5" not in "1,5"
    if re.search(r"\w$", words[-1]):
        pattern += r"(?!\w)"
        if words[-1][-1].isdigit():
            pattern += r"(?![.,]\d{1,3}(?!\d))"  # "1" is not in "1,400"; "95" is in "95,8000"
    return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]


def proposed_extraction(parsed: BaseModel, rubric: Rubric) -> Extraction:
    """The model's reply as typed answers with their quotes as given, not yet checked against
    the lead. Values that do not fit a criterion's type and unknown knockouts are dropped
    here; this is what the extraction cache keeps, so the checks always run with current code.
    """
    answers: dict[str, Answer] = {}
    questions: dict[str, str] = {}
    dropped: list[DroppedAnswer] = []
    replies = getattr(parsed, "criteria", None)
    for criterion in rubric.criteria:
        reply = getattr(replies, criterion.id, None)
        if reply is None:
            continue
        if question := _clean_question(getattr(reply, "question", None)):
            questions[criterion.id] = question
        if reply.value is None:
            continue
        quote = clean_quote(reply.evidence) or ""
        value = parse_value(criterion, reply.value)
        if value is None:
            detail = f"{reply.value!r} is not a valid {criterion.type} answer"
            dropped.append(_drop(criterion.id, None, quote, "invalid_value", detail))
            continue
        answers[criterion.id] = Answer(
            value=value, evidence=quote, confidence=_confidence(reply.confidence), source="model"
        )
    knockouts: list[KnockoutHit] = []
    known = {k.id for k in rubric.knockouts}
    for hit in getattr(parsed, "knockouts", None) or []:
        quote = clean_quote(hit.evidence) or ""
        if hit.id not in known:
            detail = "not a knockout of this rubric"
            dropped.append(_drop(str(hit.id), None, quote, "unknown_knockout", detail, True))
        elif hit.id not in {k.id for k in knockouts}:
            knockouts.append(KnockoutHit(id=hit.id, evidence=quote, source="model"))
    return Extraction(answers=answers, knockouts=knockouts, questions=questions, dropped=dropped)


def _fragment(criterion: Criterion, offline_evidence: str, quote: str) -> bool:
    """A yes/no quote that is only part of the statement the offline rules read ("4
    warehouses" of "We have 4 warehouses and want every inquiry routed") says nothing alone."""
    return criterion.type == "yes_no" and offline_evidence not in quote


def checked_extraction(
    proposed: Extraction,
    rubric: Rubric,
    lead: Lead,
    *,
    sent: str,
    offline: Extraction,
    reader: QuoteReader,
    as_of: date,
) -> Extraction:
    """The model's answers reduced to those the lead supports; `dropped` and the note say why
    the others did not count.

    A quote must be in the text the model was sent (`sent`, possibly redacted) and in the lead
    outside any text addressed to the bot (or our own quoted reply); the stored evidence is
    the lead's own span. Then the quote must support the value (support.py). An answer from
    another span than the offline rules' answer for the lead gives way to that answer when it
    earns fewer points: the offline rules found the opposite ("no budget", an intern).
    """
    text = LeadText(lead)
    lead_lower = lower_same_length(text.masked)
    answers: dict[str, Answer] = {}
    dropped = list(proposed.dropped)
    for criterion in rubric.criteria:
        answer = proposed.answers.get(criterion.id)
        if answer is None:
            continue
        quote, problem = _locate(answer.evidence, sent, text, lead_lower)
        offline_answer = offline.answers.get(criterion.id)
        evidence = quote.text if problem is None else None
        if problem is not None:
            support = problem
        elif offline_answer is not None and _overlaps(offline_answer.evidence, quote, text):
            # The offline rules read this span too: their answer decides. A quote that does
            # not support the value on its own (a fragment of that span) shows theirs instead.
            support = _offline_reading(criterion, answer, offline_answer)
            if _fragment(criterion, offline_answer.evidence, quote.text) or (
                reader.check(criterion, answer.value, quote, as_of=as_of).reason is not None
            ):
                evidence = offline_answer.evidence
        else:
            support = reader.check(criterion, answer.value, quote, as_of=as_of)
            if support.reason is None:
                # Read from elsewhere in the lead, a lower answer is the opposite: it wins.
                support = _offline_opposite(criterion, answer, offline_answer)
        if support.reason is not None:
            dropped.append(
                _drop(criterion.id, answer.value, answer.evidence, support.reason, support.detail)
            )
        else:
            answers[criterion.id] = answer.model_copy(update={"evidence": evidence})
    knockouts: list[KnockoutHit] = []
    by_id = {k.id: k for k in rubric.knockouts}
    for hit in proposed.knockouts:
        if hit.id not in by_id:
            continue  # a cached answer for a knockout the rubric has since lost
        quote, problem = _locate(hit.evidence, sent, text, lead_lower)
        if problem is not None:
            support = problem
        elif any(k.id == hit.id and _overlaps(k.evidence, quote, text) for k in offline.knockouts):
            support = CONFIRMED
        else:
            support = reader.check_knockout(by_id[hit.id], quote)
        if support.reason is not None:
            dropped.append(
                _drop(hit.id, None, hit.evidence, support.reason, support.detail, knockout=True)
            )
        else:
            knockouts.append(hit.model_copy(update={"evidence": quote.text}))
    if knockouts or offline.knockouts:
        answers = _knocked_out(answers, knockouts + offline.knockouts, reader, dropped)
    note = f"dropped model answers: {'; '.join(d.describe() for d in dropped)}" if dropped else None
    return Extraction(
        answers=answers,
        knockouts=knockouts,
        questions=proposed.questions,
        dropped=dropped,
        note=note,
    )


def _locate(
    evidence: str, sent: str, text: LeadText, lead_lower: str
) -> tuple[Quote, Support | None]:
    """The quote's first occurrence in the lead that is not blanked as bot-directed text."""
    nowhere = Quote("", 0, lead_lower)
    quote = clean_quote(evidence)
    if quote is None or find_span(quote, sent) is None:
        return nowhere, refuted("not_in_lead", "evidence not in the lead")
    found = spans(quote, text.original)
    if not found:
        return nowhere, refuted("not_in_lead", "evidence not in the lead")
    for start, end in found:
        span = text.original[start:end]
        if text.masked[start:end] == span:
            return Quote(span, start, lead_lower), None
    return nowhere, refuted("bot_directed", "the quote is text addressed to the bot")


def _knocked_out(
    answers: dict[str, Answer],
    knockouts: list[KnockoutHit],
    reader: QuoteReader,
    dropped: list[DroppedAnswer],
) -> dict[str, Answer]:
    """A knocked-out lead is not buying, as the offline rules also hold: its budget, need and
    timeline are about something else (its pitch, its homework), and spam says nothing true."""
    spam = any(hit.id == "spam" for hit in knockouts)
    kept = {}
    for criterion_id, answer in answers.items():
        if spam or criterion_id in reader.purchase_criteria:
            detail = f"the lead is knocked out as {knockouts[0].id}: not a purchase"
            dropped.append(
                _drop(criterion_id, answer.value, answer.evidence, "knocked_out", detail)
            )
        else:
            kept[criterion_id] = answer
    return kept


def _overlaps(evidence: str, quote: Quote, text: LeadText) -> bool:
    """Whether `evidence` (an offline answer's span) overlaps the located quote."""
    return any(
        start < quote.end and quote.start < end for start, end in spans(evidence, text.original)
    )


def _offline_reading(criterion: Criterion, answer: Answer, offline: Answer) -> Support:
    if same_answer(criterion, offline.value, answer.value):
        return CONFIRMED
    return refuted(
        "contradicted", f"the offline rules read {offline.evidence!r} as {offline.value}"
    )


def _offline_opposite(criterion: Criterion, answer: Answer, offline: Answer | None) -> Support:
    if offline is None or points_for(criterion, offline.value) >= points_for(
        criterion, answer.value
    ):
        return SUPPORTED
    return refuted(
        "offline_disagrees",
        f"the offline rules read {offline.evidence!r} as {offline.value}",
    )


def _drop(
    criterion_id: str,
    value: AnswerValue | None,
    evidence: str,
    reason: DropReason,
    detail: str,
    knockout: bool = False,
) -> DroppedAnswer:
    return DroppedAnswer(
        criterion=criterion_id,
        knockout=knockout,
        value=value,
        evidence=evidence[:MAX_QUESTION],
        reason=reason,
        detail=detail,
    )


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
