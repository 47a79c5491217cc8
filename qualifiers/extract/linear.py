"""Multinomial logistic regression over present/absent features: the one model behind the
sentence classifier (sentences.py) and the whole-lead intent reading (lead_intent.py).

Small, deterministic and explainable: each feature's weight per label can be read off, the
same training data gives the same weights in every process, and the stored weights are
exact doubles, so every machine scores alike.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)  # hashed by identity: texts are scored per model
class LinearModel:
    """Per feature, its log-likelihood under each label but the reference label minus under
    the reference label; and the priors (in the labels' order, the reference label left out:
    its logit is 0 and its probability comes last)."""

    weights: dict[str, tuple[float, ...]]
    priors: tuple[float, ...]

    def probabilities_of(self, found: Iterable[str]) -> tuple[float, ...]:
        """Each label's probability for a set of present features, the reference label's last."""
        known = filter(None, map(self.weights.get, found))  # (weights never empty)
        # fsum: the same total whatever order the set of features comes in (hash seeds
        # differ between processes, and a worker must score exactly like the parent)
        logits = [*map(math.fsum, zip(self.priors, *known, strict=True)), 0.0]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return tuple(e / total for e in exps)


def fit(
    rows: Sequence[tuple[int, Iterable[str]]],
    labels: int,
    reference: int,
    *,
    l2: float,
    steps: int,
    learning_rate: float,
) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """Weights and priors for (label index, features) rows, L2-regularised, fitted by
    full-batch gradient descent from zero (deterministic). Unlike naive Bayes it shares the
    credit among features that occur together, so a word seen once in one label's examples
    does not outvote the rest of a text. Each label weighs the same in the loss, however many
    rows it has. Rows without features are left out."""
    import numpy as np  # here, not at import: a run that reads stored weights never trains

    vocabulary: dict[str, int] = {}
    targets_index, columns, starts = [], [], []
    for label, found in rows:
        # sorted: the vocabulary's order, and so every sum in training, is the same in
        # every process whatever its hash seed
        ordered = sorted(found)
        if not ordered:
            continue
        starts.append(len(columns))
        columns.extend(vocabulary.setdefault(f, len(vocabulary)) for f in ordered)
        targets_index.append(label)
    # The binary features as (row, column) pairs: a row has some tens of thousands.
    column = np.array(columns, dtype=np.intp)
    lengths = np.diff([*starts, len(columns)])
    row = np.repeat(np.arange(len(targets_index)), lengths)
    first = np.array(starts, dtype=np.intp)
    targets = np.eye(labels)[targets_index]
    counts = np.maximum(targets.sum(axis=0), 1)
    sample_weight = (targets @ (len(targets_index) / (labels * counts)))[:, None] / len(
        targets_index
    )
    weights = np.zeros((len(vocabulary), labels))
    bias = np.zeros(labels)
    for _ in range(steps):
        logits = np.add.reduceat(weights[column], first) + bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - targets) * sample_weight
        spread = error[row]
        gradient = np.stack(
            [np.bincount(column, spread[:, k], len(vocabulary)) for k in range(labels)],
            axis=1,
        )
        weights -= learning_rate * (gradient + l2 * weights)
        bias -= learning_rate * error.sum(axis=0)
    relative = np.delete(weights - weights[:, reference : reference + 1], reference, axis=1)
    priors = np.delete(bias - bias[reference], reference)
    return (
        {feature: tuple(map(float, relative[i])) for feature, i in vocabulary.items()},
        tuple(map(float, priors)),
    )


def encode_weights(model: LinearModel, training_sha256: str) -> dict:
    """The model as JSON-ready data: little-endian doubles, one row per feature in sorted
    order; exact, and read in milliseconds (as JSON numbers they took a fifth of a second)."""
    features = sorted(model.weights)
    values = array("d", (value for feature in features for value in model.weights[feature]))
    if sys.byteorder != "little":
        values.byteswap()
    return {
        "training_sha256": training_sha256,
        "priors": list(model.priors),
        "features": features,
        "weights": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def decode_weights(stored: dict) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """What encode_weights wrote: weights and priors."""
    priors = tuple(stored["priors"])
    values = array("d", base64.b64decode(stored["weights"]))
    if sys.byteorder != "little":
        values.byteswap()
    rows = zip(*[iter(values)] * len(priors), strict=True)
    return dict(zip(stored["features"], rows, strict=True)), priors
