"""Sentence classification for what word lists cannot enumerate: a need stated in plain words
("leads fall through the cracks", "sales can't tell who's serious").

A logistic regression over each sentence's words and word pairs (present or not), trained
on the labelled sentences shipped beside this file (`sentences.txt`: need, pitch, other; the
pitches teach it that a problem told to us as a sales line is not the writer's need). It is
small, deterministic and explainable: the evidence is the sentence itself, and each word's
weight can be read off the model. Training takes a fraction of a second and happens on first
use, not at import. The rules stay first; this only answers where they found nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from qualifiers.extract.text import Found, unwrap_lines

TRAINING_FILE = Path(__file__).resolve().parent / "sentences.txt"
# The model trained on TRAINING_FILE, shipped so a run need not train it (nor import numpy);
# written by `python -m qualifiers.extract.sentences`, and used only while it names the
# training file's digest (a test checks it does).
WEIGHTS_FILE = TRAINING_FILE.with_name("sentences.weights.json")
LABELS = ("need", "pitch", "other")
_STEPS = 300
_LEARNING_RATE = 2.0
_L2 = 0.001
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[0-9]+")  # the same words, faster
_SENTENCE_END = re.compile(r"[.!?\n;]")
_MAX_SENTENCES = 40
_MIN_WORDS = 5
# Header lines ('From: Web Team <web@...>', 'Subject: ...') and addresses are not sentences;
# a chat speaker's label ('Visitor:') is not part of one.
_HEADER = re.compile(r"\s*(?:from|to|cc|bcc|subject|date|sent|re|fwd?|reply-to)\s*:")
_NOT_PROSE = re.compile(r"@|https?://")
_SPEAKER = re.compile(r"\s*[\w ().-]{1,30}:\s")
# A sentence counts when its label is this much more likely than the others (probability).
NEED_THRESHOLD = 0.8
_ADDRESSES_US = re.compile(r"\b(?:you|your|yours)\b")


def features(sentence: str) -> set[str]:
    """Words (numbers as '#') and adjacent word pairs of a lowercased sentence."""
    found = (_ASCII_WORD if sentence.isascii() else _WORD).findall(sentence)
    words = ["#" if word.isdigit() else word for word in found]
    return {*words, *[f"{a} {b}" for a, b in pairwise(words)]}


@dataclass(frozen=True)
class SentenceModel:
    """Per feature, its log-likelihood under each label minus under 'other'; and the priors."""

    weights: dict[str, tuple[float, float]]
    priors: tuple[float, float]

    def probabilities(self, sentence: str) -> tuple[float, float, float]:
        """P(need), P(pitch), P(other) for a lowercased sentence."""
        known = [w for f in features(sentence) if (w := self.weights.get(f)) is not None]
        # fsum: the same total whatever order the set of features comes in (hash seeds
        # differ between processes, and a worker must score exactly like the parent)
        need = math.fsum([self.priors[0], *(w[0] for w in known)])
        pitch = math.fsum([self.priors[1], *(w[1] for w in known)])
        top = max(need, pitch, 0.0)
        exp_need, exp_pitch, exp_other = (math.exp(v - top) for v in (need, pitch, 0.0))
        total = exp_need + exp_pitch + exp_other
        return exp_need / total, exp_pitch / total, exp_other / total


def train(examples: list[tuple[str, str]]) -> SentenceModel:
    """Multinomial logistic regression over present/absent features, L2-regularised, fitted
    by full-batch gradient descent from zero (deterministic). Unlike naive Bayes it shares
    the credit among words that occur together, so a word seen once in a pitch does not
    outvote a sentence's plain need; 'other' is the reference class (weights 0)."""
    import numpy as np  # here, not at import: a fully cached run never trains the model

    vocabulary: dict[str, int] = {}
    labels, columns, starts = [], [], []
    for label, sentence in examples:
        if not features(sentence):
            continue
        starts.append(len(columns))
        # sorted: the vocabulary's order, and so every sum in training, is the same in
        # every process whatever its hash seed
        columns.extend(
            vocabulary.setdefault(f, len(vocabulary)) for f in sorted(features(sentence))
        )
        labels.append(LABELS.index(label))
    # The binary features as (row, column) pairs: a sentence has some twenty of thousands.
    column = np.array(columns, dtype=np.intp)
    lengths = np.diff([*starts, len(columns)])
    row = np.repeat(np.arange(len(labels)), lengths)
    first = np.array(starts, dtype=np.intp)
    targets = np.eye(len(LABELS))[labels]
    # Each class weighs the same in the loss, however many sentences it has.
    counts = np.maximum(targets.sum(axis=0), 1)
    sample_weight = (targets @ (len(labels) / (len(LABELS) * counts)))[:, None] / len(labels)
    weights = np.zeros((len(vocabulary), len(LABELS)))
    bias = np.zeros(len(LABELS))
    for _ in range(_STEPS):
        logits = np.add.reduceat(weights[column], first) + bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - targets) * sample_weight
        spread = error[row]
        gradient = np.stack(
            [np.bincount(column, spread[:, k], len(vocabulary)) for k in range(len(LABELS))],
            axis=1,
        )
        weights -= _LEARNING_RATE * (gradient + _L2 * weights)
        bias -= _LEARNING_RATE * error.sum(axis=0)
    relative = weights - weights[:, 2:3]
    priors = bias - bias[2]
    return SentenceModel(
        {
            feature: (float(relative[i, 0]), float(relative[i, 1]))
            for feature, i in vocabulary.items()
        },
        (float(priors[0]), float(priors[1])),
    )


def read_examples(text: str) -> list[tuple[str, str]]:
    examples = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, _, sentence = line.partition("|")
        examples.append((label.strip(), sentence.strip().lower()))
    return examples


def training_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def shipped_model() -> SentenceModel:
    """The model of the shipped training sentences: the stored weights while they match the
    training file, else trained now."""
    text = TRAINING_FILE.read_text(encoding="utf-8")
    with contextlib.suppress(OSError, ValueError, KeyError):
        stored = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
        if stored["training_sha256"] == training_digest(text):
            weights = {
                feature: (need, pitch) for feature, (need, pitch) in stored["weights"].items()
            }
            return SentenceModel(weights, tuple(stored["priors"]))
    return train(read_examples(text))


def write_weights() -> None:
    """Train on the training file and store the weights beside it."""
    text = TRAINING_FILE.read_text(encoding="utf-8")
    model = train(read_examples(text))
    stored = {
        "training_sha256": training_digest(text),
        "priors": list(model.priors),
        "weights": {feature: list(pair) for feature, pair in sorted(model.weights.items())},
    }
    WEIGHTS_FILE.write_text(json.dumps(stored, separators=(",", ":")) + "\n", encoding="utf-8")


def _sentences(text: str):
    """(start, end) of each sentence, joined across line breaks that only wrap one."""
    start = 0
    for count, stop in enumerate(_SENTENCE_END.finditer(unwrap_lines(text))):
        if count >= _MAX_SENTENCES:
            return
        yield from _prose(text, start, stop.start())
        start = stop.end()
    yield from _prose(text, start, len(text))


def _prose(text: str, start: int, end: int):
    """The sentence text[start:end] without a speaker label ('Visitor: ...'); nothing for a
    header line, an address or a fragment."""
    sentence = text[start:end]
    if _HEADER.match(sentence) or _NOT_PROSE.search(sentence):
        return
    label = _SPEAKER.match(sentence)
    if label:
        start += label.end()
        sentence = text[start:end]
    if len(sentence.split()) >= _MIN_WORDS:
        yield start + len(sentence) - len(sentence.lstrip()), end


def need_sentences(text: str, model: SentenceModel | None = None):
    """(start, end) of each sentence of `text` (lowercased) the model reads as a stated need
    and that does not talk to the reader ('your leads' is a pitch's line, not the writer's
    problem)."""
    model = model or shipped_model()
    for start, end in _sentences(text):
        sentence = text[start:end]
        need, _, _ = model.probabilities(sentence)
        if need >= NEED_THRESHOLD and not _ADDRESSES_US.search(sentence):
            yield start, end


def classify_need(text: str, model: SentenceModel | None = None) -> Found | None:
    """The first sentence of `text` (lowercased) the model reads as a stated need."""
    for start, end in need_sentences(text, model):
        return Found(True, start, end, 0.6)
    return None


if __name__ == "__main__":
    write_weights()
