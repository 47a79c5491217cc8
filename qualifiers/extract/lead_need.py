"""Whether the lead states a need, read from the whole lead: for needs that no need rule and
no single sentence gives away ("reps cherry pick the good leads, the rest rot in the queue"
spread over a badge scan's answers, a need told across a chat).

The same kind of linear model as lead_intent.py (words and word stems of the masked,
lowercased lead), with two labels, `need` and `none`, trained on the `need` labels of the
development leads the project ships (never the blind batches) by `python
benchmarks/train_lead_models.py`; that script's `--check` reports how it does on batches it
was not trained on. The extractor asks it only where the need rules, a use-case answer and
the sentence classifier found nothing, and takes its reading only at THRESHOLD; the evidence
is the sentence (or line) that weighs most towards `need`.
"""

from __future__ import annotations

import contextlib
import json
from functools import cache
from pathlib import Path

from qualifiers.extract.lead_intent import features, strongest_span
from qualifiers.extract.linear import LinearModel, decode_weights

WEIGHTS_FILE = Path(__file__).resolve().with_name("lead_need.weights.json")
LABELS = ("need", "none")  # `none` last
# Leave one development batch out in turn: 0.7 gained the most tiers (0.6 and 0.8 fewer).
THRESHOLD = 0.7


@cache
def shipped_model() -> LinearModel | None:
    """The stored model; None when the file is missing or unreadable (the rules still run)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return LinearModel(*decode_weights(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))))
    return None


def read_need(lower: str, model: LinearModel | None = None) -> tuple[int, int] | None:
    """The span of the sentence that says the need, when the whole lead reads as stating one
    at THRESHOLD; else None."""
    model = model or shipped_model()
    if model is None:
        return None
    if model.probabilities_of(features(lower))[0] < THRESHOLD:
        return None
    return strongest_span(lower, model, LABELS.index("need"))
