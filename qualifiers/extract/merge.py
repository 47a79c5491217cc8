"""Combines the model's checked answers with the offline rules' answers."""

from __future__ import annotations

from qualifiers.models import Extraction


def merge(model: Extraction, offline: Extraction) -> Extraction:
    """The model's answers win; the offline rules fill what the model left unanswered.

    Filled answers keep their offline source ("field" for a form value, else "offline"), so
    the summary shows where each came from. Offline knockouts are kept too: a lead cannot
    talk the model out of a knockout its own words trigger.
    """
    answers = dict(model.answers)
    for criterion_id, answer in offline.answers.items():
        if criterion_id not in answers:
            source = "field" if answer.source == "field" else "offline"
            answers[criterion_id] = answer.model_copy(update={"source": source})
    knockouts = list(model.knockouts)
    found = {hit.id for hit in knockouts}
    knockouts += [
        hit.model_copy(update={"source": "offline"})
        for hit in offline.knockouts
        if hit.id not in found
    ]
    questions = {cid: q for cid, q in model.questions.items() if cid not in answers}
    return Extraction(
        answers=answers,
        knockouts=knockouts,
        questions=questions,
        dropped=model.dropped,
        note=model.note,
    )


def as_fallback(offline: Extraction, reason: str) -> Extraction:
    """The offline answers standing in for a model that could not answer, saying why."""
    return Extraction(
        answers={
            cid: answer.model_copy(update={"source": "offline_fallback"})
            for cid, answer in offline.answers.items()
        },
        knockouts=[
            hit.model_copy(update={"source": "offline_fallback"}) for hit in offline.knockouts
        ],
        questions=offline.questions,
        note=f"qualified offline: model unavailable ({reason})",
    )
