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


@dataclass(frozen=True, slots=True)
class FormPair:
    """A `Key: value` answer written in the text, or a cell of a pasted table."""

    key: str
    value: str
    start: int
    end: int


_LINE = re.compile(r"[^\n]+")
# Segments of a line: "Budget: 50k; Timeline: 30 days | Title: CFO. Employees: 80"
_SEGMENT_BREAK = re.compile(r"\s*(?:;|\|(?!\|)|\t)\s*|(?<=\.)\s+(?=[A-Z][A-Za-z /&()-]{0,30}:\s)")
_KEY_VALUE = re.compile(
    r"[ \t>*-]*(?P<key>[A-Za-z][\w()/&'?.-]*(?: [\w()/&'?.-]+){0,5}?)[ \t]*:[ \t]*"
    r"(?P<value>\S(?:.*\S)?)?\s*$"
)
_TABLE_DELIMITERS = ("|", "\t", ",")
_HEADER_CELL = re.compile(r"[A-Za-z][A-Za-z ()/&?'_-]{0,40}")


def form_pairs(text: str, start: int = 0) -> list[FormPair]:
    """`Key: value` answers in text[start:]: whole lines, `;`/`|`-separated segments, and
    pasted tables (a header row of names over a row of values, comma/pipe/tab separated)."""
    lines = [m.span() for m in _LINE.finditer(text, start)]
    pairs: list[FormPair] = []
    for index, (line_start, line_end) in enumerate(lines):
        if index + 1 < len(lines):
            pairs.extend(_table_pairs(text, (line_start, line_end), lines[index + 1]))
        position = line_start
        for boundary in [*_SEGMENT_BREAK.finditer(text, line_start, line_end), None]:
            segment_end = boundary.start() if boundary else line_end
            match = _KEY_VALUE.fullmatch(text, position, segment_end)
            if match and match["value"]:
                pairs.append(
                    FormPair(match["key"], match["value"], match.start("key"), match.end("value"))
                )
            position = boundary.end() if boundary else line_end
    return pairs


def _table_pairs(text: str, header: tuple[int, int], row: tuple[int, int]) -> list[FormPair]:
    for delimiter in _TABLE_DELIMITERS:
        names = _cells(text, header, delimiter)
        if len(names) < 3 or not all(_HEADER_CELL.fullmatch(text, *cell) for cell in names):
            continue
        values = _cells(text, row, delimiter)
        if len(values) != len(names):
            continue
        return [
            FormPair(text[k[0] : k[1]], text[v[0] : v[1]], v[0], v[1])
            for k, v in zip(names, values, strict=True)
            if v[1] > v[0]
        ]
    return []


def _cells(text: str, span: tuple[int, int], delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each delimited cell of text[span], whitespace trimmed."""
    start, end = span
    if delimiter not in text[start:end]:
        return []
    cells = []
    position = start
    while position <= end:
        stop = text.find(delimiter, position, end)
        stop = end if stop == -1 else stop
        left, right = position, stop
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        cells.append((left, right))
        position = stop + 1
    return cells


def normalise_key(key: str) -> str:
    """Field names compare case- and punctuation-insensitively: 'Job Title' == 'job_title'."""
    return re.sub(r"[\W_]+", " ", key).strip().casefold()
