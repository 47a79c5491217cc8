"""Sentence classification for what word lists cannot enumerate: a need stated in plain words
("leads fall through the cracks", "sales can't tell who's serious").

A naive Bayes model over each sentence's words and word pairs (present or not), trained on
the labelled sentences shipped beside this file (`sentences.txt`: need, pitch, other; the
pitches teach it that a problem told to us as a sales line is not the writer's need). It is
small, deterministic and explainable: the evidence is the sentence itself, and each word's
weight can be read off the model. Training takes milliseconds and happens on first use, not
at import. The rules stay first; this only answers where they found nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from qualifiers.extract.text import Found, unwrap_lines

TRAINING_FILE = Path(__file__).resolve().parent / "sentences.txt"
LABELS = ("need", "pitch", "other")
_SMOOTHING = 0.5
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
NEED_THRESHOLD = 0.85
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
        need, pitch = self.priors
        for feature in features(sentence):
            weight = self.weights.get(feature)
            if weight is not None:
                need += weight[0]
                pitch += weight[1]
        top = max(need, pitch, 0.0)
        exp_need, exp_pitch, exp_other = (math.exp(v - top) for v in (need, pitch, 0.0))
        total = exp_need + exp_pitch + exp_other
        return exp_need / total, exp_pitch / total, exp_other / total


def train(examples: list[tuple[str, str]]) -> SentenceModel:
    """Bernoulli-style naive Bayes: each feature counted once per sentence, smoothed."""
    vocabulary: dict[str, int] = {}
    rows = []
    for label, sentence in examples:
        indexes = [vocabulary.setdefault(f, len(vocabulary)) for f in features(sentence)]
        rows.append((LABELS.index(label), indexes))
    counts = np.zeros((len(LABELS), len(vocabulary)))
    totals = np.zeros(len(LABELS))
    for label, indexes in rows:
        counts[label, indexes] += 1
        totals[label] += 1
    present = np.log((counts + _SMOOTHING) / (totals[:, None] + 2 * _SMOOTHING))
    relative = present[:2] - present[2]
    priors = np.log(totals[:2] / totals[2])
    weights = {feature: (relative[0, i], relative[1, i]) for feature, i in vocabulary.items()}
    weights = {feature: (float(a), float(b)) for feature, (a, b) in weights.items()}
    return SentenceModel(weights, (float(priors[0]), float(priors[1])))


def read_examples(text: str) -> list[tuple[str, str]]:
    examples = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, _, sentence = line.partition("|")
        examples.append((label.strip(), sentence.strip().lower()))
    return examples


@cache
def shipped_model() -> SentenceModel:
    return train(read_examples(TRAINING_FILE.read_text(encoding="utf-8")))


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


def classify_need(text: str, model: SentenceModel | None = None) -> Found | None:
    """The first sentence of `text` (lowercased) the model reads as a stated need; one that
    talks to the reader ('your leads') is a pitch's line, not the writer's problem."""
    model = model or shipped_model()
    for start, end in _sentences(text):
        sentence = text[start:end]
        need, _, _ = model.probabilities(sentence)
        if need >= NEED_THRESHOLD and not _ADDRESSES_US.search(sentence):
            return Found(True, start, end, 0.6)
    return None
