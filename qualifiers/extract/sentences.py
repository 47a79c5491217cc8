"""Sentence classification for what word lists cannot enumerate: a need stated in plain words
("leads fall through the cracks", "sales can't tell who's serious") and what the writer
wants when it is not to buy (to sell to us, study us, work for us, compete with us).

A logistic regression over each sentence's words and word pairs (present or not), trained
on the labelled sentences shipped beside this file (`sentences.txt`: need, pitch, student,
job_seeker, competitor, spam, other; the pitches also teach it that a problem told to us as a sales
line is not the writer's need). It is
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
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from qualifiers.extract.linear import LinearModel, decode_weights, encode_weights, fit
from qualifiers.extract.text import Found, said_by_us, unwrap_lines

TRAINING_FILE = Path(__file__).resolve().parent / "sentences.txt"
# The model trained on TRAINING_FILE, shipped so a run need not train it (nor import numpy);
# written by `python -m qualifiers.extract.sentences`, and used only while it names the
# training file's digest (a test checks it does).
WEIGHTS_FILE = TRAINING_FILE.with_name("sentences.weights.json")
LABELS = ("need", "pitch", "student", "job_seeker", "competitor", "spam", "other")
# The knockout a sentence of each intent label stands for.
INTENT_KNOCKOUTS = {
    "pitch": "vendor",
    "student": "student",
    "job_seeker": "job_seeker",
    "competitor": "competitor",
    "spam": "spam",
}
_STEPS = 300
_LEARNING_RATE = 4.0  # each of the classes weighs the same share of the loss
_L2 = 0.0003
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
NEED_THRESHOLD = 0.7
# An intent needs more: a knockout takes the whole lead out of the queue. A sentence reads as
# not buying when the intent labels together are this likely (a pitch that reads half like
# spam is still no buyer's); its knockout is the likeliest of them.
INTENT_THRESHOLD = 0.95
# ...and this likely when the writer asks nothing for themselves (no need of their own, no
# wish to buy): real buyers almost always state one, sellers and students almost never.
BARE_INTENT_THRESHOLD = 0.85
# ...or this likely in each of two sentences of such a lead.
SECONDED_INTENT_THRESHOLD = 0.6
# Below this a sentence reads as a buyer's (or neutral) line, whatever words it shares with
# a knockout's phrases.
BUYER_LINE_THRESHOLD = 0.5
_ADDRESSES_US = re.compile(r"\b(?:you|your|yours)\b")


def features(sentence: str) -> set[str]:
    """Words (numbers as '#') and adjacent word pairs of a lowercased sentence."""
    found = (_ASCII_WORD if sentence.isascii() else _WORD).findall(sentence)
    words = ["#" if word.isdigit() else word for word in found]
    return {*words, *[f"{a} {b}" for a, b in pairwise(words)]}


class SentenceModel(LinearModel):
    """The linear model over sentence features; 'other' is the reference label."""

    def probabilities(self, sentence: str) -> tuple[float, ...]:
        """The probability of each label of LABELS for a lowercased sentence."""
        return self.probabilities_of(features(sentence))


def train(examples: list[tuple[str, str]]) -> SentenceModel:
    """The model of (label, lowercased sentence) examples."""
    weights, priors = fit(
        [(LABELS.index(label), features(sentence)) for label, sentence in examples],
        len(LABELS),
        LABELS.index("other"),
        l2=_L2,
        steps=_STEPS,
        learning_rate=_LEARNING_RATE,
    )
    return SentenceModel(weights, priors)


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
            return SentenceModel(*decode_weights(stored))
    return train(read_examples(text))


def write_weights() -> None:
    """Train on the training file and store the weights beside it."""
    text = TRAINING_FILE.read_text(encoding="utf-8")
    stored = encode_weights(train(read_examples(text)), training_digest(text))
    WEIGHTS_FILE.write_text(json.dumps(stored, separators=(",", ":")) + "\n", encoding="utf-8")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, joined across line breaks that only wrap one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for count, stop in enumerate(_SENTENCE_END.finditer(unwrap_lines(text))):
        if count >= _MAX_SENTENCES:
            return spans
        _add_prose(spans, text, start, stop.start())
        start = stop.end()
    _add_prose(spans, text, start, len(text))
    return spans


def _add_prose(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Adds the sentence text[start:end] without a speaker label ('Visitor: ...'); nothing
    for a header line, an address or a fragment (counted first: most pieces are short, and
    a label only takes words away)."""
    sentence = text[start:end]
    if len(sentence.split()) < _MIN_WORDS or _HEADER.match(sentence) or _NOT_PROSE.search(sentence):
        return
    if said_by_us(text, start):
        return  # our chat agent's or bot's line: the vendor's words, not the lead's
    label = _SPEAKER.match(sentence)
    if label:
        start += label.end()
        sentence = text[start:end]
        if len(sentence.split()) < _MIN_WORDS:
            return
    spans.append((start + len(sentence) - len(sentence.lstrip()), end))


# The sentences scored so far for the lead being read, by (text, model); None outside one.
_LEAD_SCORES: ContextVar[dict[tuple[str, SentenceModel], tuple[Scored, ...]] | None] = ContextVar(
    "lead_scores", default=None
)


@contextlib.contextmanager
def scoring_one_lead() -> Iterator[None]:
    """Within it, a text's sentences are split and scored once however many rules ask (each
    knockout asks); nothing is kept once the lead is read."""
    token = _LEAD_SCORES.set({})
    try:
        yield
    finally:
        _LEAD_SCORES.reset(token)


def _scored(text: str, model: SentenceModel | None) -> tuple[Scored, ...]:
    model = model or shipped_model()
    memo = _LEAD_SCORES.get()
    if memo is None:
        return _scored_by(text, model)
    scored = memo.get((text, model))
    if scored is None:
        scored = memo[text, model] = _scored_by(text, model)
    return scored


class Scored(NamedTuple):  # a tuple: every sentence of a lead builds one
    """One sentence as the model reads it: its span, each label's probability, its likeliest
    intent and the probability of all intents together (that the writer sells, studies,
    applies, competes or spams rather than buys)."""

    start: int
    end: int
    probabilities: tuple[float, ...]
    intent: str
    mass: float


def _scored_by(text: str, model: SentenceModel) -> tuple[Scored, ...]:
    """Each sentence with its labels' probabilities."""
    scored = []
    for start, end in sentence_spans(text):
        probabilities = model.probabilities(text[start:end])
        scored.append(Scored(start, end, probabilities, *intent_of(probabilities)))
    return tuple(scored)


def need_sentences(text: str, model: SentenceModel | None = None):
    """(start, end) of each sentence of `text` (lowercased) the model reads as a stated need
    and that does not talk to the reader ('your leads' is a pitch's line, not the writer's
    problem)."""
    for found in _scored(text, model):
        if is_need(found.probabilities) and not _ADDRESSES_US.search(text, found.start, found.end):
            yield found.start, found.end


def is_need(probabilities: tuple[float, ...]) -> bool:
    """A need outweighs the pitch and 'other' readings by NEED_THRESHOLD, and no intent
    outweighs it: the intents only take a sentence that reads as theirs."""
    need, pitch, *intents, other = probabilities
    return need >= NEED_THRESHOLD * (need + pitch + other) and need >= max(intents)


def intent_sentences(
    text: str, knockout: str, model: SentenceModel | None = None, threshold=INTENT_THRESHOLD
):
    """(start, end) of each sentence of `text` (lowercased) the model reads, with at least
    `threshold` for the intents together, as not buying, and most likely as the intent that
    `knockout` stands for: 'we could fill your Q1 pipeline' is a vendor's, 'an assignment for
    my marketing class' a student's."""
    for found in _scored(text, model):
        if found.mass >= threshold and INTENT_KNOCKOUTS[found.intent] == knockout:
            yield found.start, found.end


def intents_read(text: str, threshold: float, model: SentenceModel | None = None):
    """Each sentence of `text` (lowercased) whose intents together are at least `threshold`
    likely."""
    return [found for found in _scored(text, model) if found.mass >= threshold]


def intent_of(probabilities: tuple[float, ...]) -> tuple[str, float]:
    """The likeliest intent label of a sentence, and the probability of all intents together."""
    intents = probabilities[1:-1]
    return LABELS[1 + intents.index(max(intents))], math.fsum(intents)


def intent_mass(
    text: str, start: int, end: int, model: SentenceModel | None = None
) -> float | None:
    """The intents' probability for the sentence of `text` (lowercased) around text[start:end];
    None when it is no sentence the model reads (a header, an address, a fragment)."""
    for found in _scored(text, model):
        if found.start <= start and end <= found.end:
            return found.mass
    return None


def strongest_intent(text: str, model: SentenceModel | None = None) -> float:
    """The intents' probability in the sentence of `text` (lowercased) that reads most as not
    buying."""
    return max((found.mass for found in _scored(text, model)), default=0.0)


def classify_need(text: str, model: SentenceModel | None = None) -> Found | None:
    """The first sentence of `text` (lowercased) the model reads as a stated need."""
    for start, end in need_sentences(text, model):
        return Found(True, start, end, 0.6)
    return None


if __name__ == "__main__":
    write_weights()
