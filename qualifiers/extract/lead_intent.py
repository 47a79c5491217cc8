"""Who is writing and what they want, read from the whole lead: for knockouts that neither a
rubric pattern nor any one sentence gives away (a rival's product manager whose questions and
signature together say competitor, a fake invoice, a thesis survey in Dutch).

A linear model (linear.py) over the words and word stems of the lead's masked, lowercased
text (its fields included), with one label per built-in knockout and `none`. It is trained on
the labelled development leads the project ships (benchmarks/data/dev and the holdout set;
never the blind batches) by `python benchmarks/train_lead_models.py`, which stores the
weights beside this file; that script's `--check` reports how it does on batches it was not
trained on. The extractor asks it only where the rules and the sentence classifier found no
knockout, and takes its reading only at THRESHOLD; the evidence is the sentence (or line)
that weighs most towards the knockout.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

from qualifiers.extract.linear import LinearModel, decode_weights
from qualifiers.extract.sentences import sentence_spans

WEIGHTS_FILE = Path(__file__).resolve().with_name("lead_intent.weights.json")
LABELS = ("student", "job_seeker", "vendor", "competitor", "spam", "none")  # `none` last
# The probability of all knockouts together that decides (leave-one-batch-out on the
# development batches: 0.7 caught most of what the rules missed and knocked out no more
# real buyers than the rules alone).
THRESHOLD = 0.7
_STEM = 5  # a word's first letters, so 'afstudeeronderzoek' and 'afstuderen' meet
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")  # the same words, faster
_LINE = re.compile(r"[^\n]*\S[^\n]*")


class LeadIntent(NamedTuple):
    knockout: str
    probability: float  # of all knockouts together
    start: int  # the evidence: the sentence or line that weighs most towards `knockout`
    end: int


def features(lower: str) -> set[str]:
    """The lead's words (letters only) and the stems of its longer words."""
    words = (_ASCII_WORD if lower.isascii() else _WORD).findall(lower)
    return {*words, *["~" + word[:_STEM] for word in words if len(word) > _STEM]}


@cache
def shipped_model() -> LinearModel | None:
    """The stored model; None when the file is missing or unreadable (the rules still run)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return LinearModel(*decode_weights(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))))
    return None


def read_intent(lower: str, model: LinearModel | None = None) -> LeadIntent | None:
    """The knockout the whole lead reads as at THRESHOLD, with its evidence; else None."""
    model = model or shipped_model()
    if model is None:
        return None
    probabilities = model.probabilities_of(features(lower))
    knockouts = probabilities[:-1]
    probability = math.fsum(knockouts)
    if probability < THRESHOLD:
        return None
    label = knockouts.index(max(knockouts))
    span = strongest_span(lower, model, label)
    if span is None:
        return None
    return LeadIntent(LABELS[label], probability, *span)


def strongest_span(lower: str, model: LinearModel, label: int) -> tuple[int, int] | None:
    """The sentence whose features weigh most towards `label` (lines when no sentence is long
    enough to count); None when nothing weighs towards it."""
    spans = sentence_spans(lower) or _lines(lower)
    best, best_weight = None, 0.0
    for start, end in spans:
        weight = math.fsum(
            row[label] for row in map(model.weights.get, features(lower[start:end])) if row
        )
        if weight > best_weight:
            best, best_weight = (start, end), weight
    return best


def _lines(lower: str) -> list[tuple[int, int]]:
    return [line.span() for line in _LINE.finditer(lower)]
