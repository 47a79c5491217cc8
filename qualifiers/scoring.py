"""Answers -> points, score, tier. Pure functions: the rubric decides, never a model."""

from __future__ import annotations

import math

from qualifiers.models import (
    Answer,
    AnswerValue,
    Extraction,
    Qualification,
    Usage,
)
from qualifiers.rubric import DISQUALIFIED, Criterion, Rubric


def normalise_number(criterion: Criterion, value: float) -> int:
    """Whole units, rounded towards the conservative side: less money and staff, later dates."""
    return math.ceil(value) if criterion.type == "months" else math.floor(value)


def points_for(criterion: Criterion, value: AnswerValue | None) -> int:
    """The points a single answer earns; an unknown or unmatched answer earns 0."""
    if value is None:
        return 0
    if criterion.type in ("money", "number", "months"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0
        whole = normalise_number(criterion, value)
        return next((band.points for band in criterion.bands if band.contains(whole)), 0)
    if criterion.type == "choice":
        choice = criterion.choices.get(str(value))
        return choice.points if choice else 0
    if criterion.type == "yes_no":
        if not isinstance(value, bool):
            return 0
        return criterion.points.get("yes" if value else "no", 0)
    return criterion.points.get("answered", 0) if str(value).strip() else 0


def tier_for(rubric: Rubric, score: int, knockout: str | None) -> str:
    if knockout:
        return DISQUALIFIED
    return next(t.id for t in rubric.tiers if score >= t.min_score)


def score(
    rubric: Rubric,
    extraction: Extraction,
    *,
    qualifier: str,
    lead_id: str | None = None,
    usage: Usage | None = None,
    note: str | None = None,
) -> Qualification:
    """Score an extraction against the rubric."""
    results: list[dict] = []  # validated with the Qualification: one call, not one each
    earned = 0
    missing: list[str] = []
    for criterion in rubric.criteria:
        answer: Answer | None = extraction.answers.get(criterion.id)
        points = points_for(criterion, answer.value if answer else None)
        earned += points
        if answer is None and criterion.required:
            missing.append(criterion.id)
        results.append(
            {
                "id": criterion.id,
                "label": criterion.label,
                "value": answer.value if answer else None,
                "points": points,
                "max_points": criterion.max_points,
                "evidence": answer.evidence if answer else None,
                "confidence": answer.confidence if answer else None,
                "source": answer.source if answer else None,
            }
        )
    total = round(100 * earned / rubric.max_points) if rubric.max_points else 0
    hit = None
    if extraction.knockouts:  # most leads have none: no set of ids to build
        known_knockouts = {k.id for k in rubric.knockouts}
        hit = next((k for k in extraction.knockouts if k.id in known_knockouts), None)
    questions = {
        criterion_id: extraction.questions.get(criterion_id)
        or rubric.criterion(criterion_id).question
        for criterion_id in missing
    }
    return Qualification(
        id=lead_id,
        score=max(0, min(100, total)),
        tier=tier_for(rubric, total, hit.id if hit else None),
        knockout=hit.id if hit else None,
        knockout_evidence=hit.evidence if hit else None,
        missing=missing,
        questions=questions,
        criteria=results,
        rubric={"name": rubric.name, "version": rubric.version},
        qualifier=qualifier,
        usage=usage,
        note=note or extraction.note,
        dropped=list(extraction.dropped),
    )
