"""Text plumbing shared by the offline parsers: found spans, clause bounds, injection masking.

Every parser works on a *masked* copy of the lead's searchable text: the same length as the
original, with instructions aimed at the bot blanked out. Offsets therefore stay valid, and
evidence is always sliced from the original text, so it is verbatim by construction.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from qualifiers.models import AnswerValue


@dataclass(frozen=True, slots=True)
class Found:
    """A value a parser found, with the span of the text that says it."""

    value: AnswerValue
    start: int
    end: int
    confidence: float = 0.8


# Sentences that address the bot rather than describe the lead. The whole sentence is blanked.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?"
    r"\b(?:instructions?|prompts?|rules|guidelines|rubric|criteria|previous|prior|above)\b"
    r"|\b(?:rate|score|mark|classify|label|tier|qualify|treat|flag|rank|set|make|route)\s+"
    r"(?:this|me|us|the|our|it|him|her)\b[^.\n]{0,30}?"
    r"\b(?:hot|warm|100|top(?:[- ]tier)?|highest|max(?:imum)?|priority|qualified)\b"
    r"|^[ \t>*#-]*(?:system|assistant|developer|instructions?|prompt|ai|bot)\s*(?::|>|=)"
    r"|<\|?/?(?:im_start|im_end|system|assistant|user)\|?>|\[/?(?:INST|SYS)\]"
    r"|\b(?:tier|score|points|knockout|qualification|rating)\s*[=:]\s*[\"']?(?:hot|warm|cold|\d+)"
    r"|\byou are (?:now )?(?:a|an|the) (?:\w+ )?(?:assistant|ai|model|bot|system|qualifier)\b"
    r"|\b(?:note|message|instructions?|attention) (?:to|for) (?:the |any )?"
    r"(?:ai|bot|model|llm|assistant|gpt|chatgpt|classifier|qualifier|scorer|system)\b",
    re.IGNORECASE | re.MULTILINE,
)
# Fake JSON objects ({"score": 100}) are blanked where they stand.
_JSON_OBJECT = re.compile(r"\{[^{}]{0,400}?[\"']\s*:[^{}]{0,400}\}")
_SENTENCE_END = re.compile(r"[!?\n]|\.(?!\d)")


def mask_injections(text: str) -> str:
    """`text` with bot-directed instructions and fake JSON replaced by spaces (same length)."""
    spans: list[tuple[int, int]] = [m.span() for m in _JSON_OBJECT.finditer(text)]
    for match in _INSTRUCTION.finditer(text):
        spans.append(sentence_bounds(text, match.start(), match.end()))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around text[start:end]."""
    left = max(text.rfind("\n", 0, start), *(text.rfind(c, 0, start) for c in ".!?"))
    while left > 0 and text[left] == "." and left + 1 < len(text) and text[left + 1].isdigit():
        left = max(text.rfind("\n", 0, left), *(text.rfind(c, 0, left) for c in ".!?"))
    match = _SENTENCE_END.search(text, end)
    return left + 1, match.end() if match else len(text)


_CLAUSE_BREAK = re.compile(r"[!?;\n]|\.(?!\d)|\.(?=\d{4})|,\s+(?:but|while|and we|whereas)\b")


class Clauses:
    """Clause boundaries of one text, so parsers can ask 'which clause is this in?' cheaply."""

    def __init__(self, text: str):
        self._breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
        self._length = len(text)

    def around(self, start: int, end: int) -> tuple[int, int]:
        i = bisect_left(self._breaks, start)
        left = self._breaks[i - 1] + 1 if i else 0
        j = bisect_right(self._breaks, max(start, end - 1))
        right = self._breaks[j] if j < len(self._breaks) else self._length
        return left, right


_FORM_LINE = re.compile(
    r"^[ \t]*([A-Za-z][\w ()/&'.?-]{0,60}?)[ \t]*:[ \t]*(\S[^\n]*?)[ \t]*$", re.M
)


@dataclass(frozen=True, slots=True)
class FormLine:
    key: str
    value: str
    start: int
    end: int
    value_start: int


def form_lines(text: str) -> list[FormLine]:
    """`Key: value` lines in the text (form pastes, marketers' notes, rendered lead fields)."""
    return [
        FormLine(m.group(1).strip(), m.group(2), m.start(1), m.end(2), m.start(2))
        for m in _FORM_LINE.finditer(text)
    ]


def normalise_key(key: str) -> str:
    """Field names compare case- and punctuation-insensitively: 'Job Title' == 'job_title'."""
    return re.sub(r"[\W_]+", " ", key).strip().casefold()
