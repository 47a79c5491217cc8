"""Text plumbing shared by the offline parsers: found spans, injection masking, clauses and
`Key: value` pairs.

Every parser works on a *masked* copy of the lead's searchable text: the same length as the
original, with instructions aimed at the bot blanked out, and mostly on its lowercased copy
(same length again). Offsets therefore stay valid, and evidence is always sliced from the
original text, so it is verbatim by construction.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from qualifiers.extract.patterns import word_patterns
from qualifiers.models import AnswerValue


# Found, FormPair and RolePhrase are made several times a lead and never changed: they are not
# `frozen`, whose __init__ (object.__setattr__ per field) costs four times as much.
@dataclass(slots=True)
class Found:
    """A value a parser found, with the span of the text that says it."""

    value: AnswerValue
    start: int
    end: int
    confidence: float = 0.8


# Sentences that address the bot rather than describe the lead. The whole sentence is blanked.
# Like most rules here it runs on lowercased text (IGNORECASE makes Python's re much slower).
_INSTRUCTION_SOURCE = (
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?"
    r"\b(?:instructions?|prompts?|rules|guidelines|rubric|criteria|previous|prior|above)\b"
    r"|\b(?:rate|score|mark|classify|label|tier|qualify|treat|flag|rank|set|make|route)\s+"
    r"(?:this|me|us|the|our|it|him|her)\b[^.\n]{0,30}?"
    r"\b(?:hot|warm|100|top(?:[- ]tier)?|highest|max(?:imum)?|priority|qualified)\b"
    r"|<\|?/?(?:im_start|im_end|system|assistant|user)\|?>|\[/?(?:inst|sys)\]"
    r"|\b(?:tier|score|points|knockout|qualification|rating)\s*[=:]\s*[\"']?(?:hot|warm|cold|\d+)"
    r"|\byou are (?:now )?(?:a|an|the) (?:\w+ )?(?:assistant|ai|model|bot|system|qualifier)\b"
    r"|\b(?:note|message|instructions?|attention) (?:to|for) (?:the |any )?"
    r"(?:ai|bot|model|llm|assistant|gpt|chatgpt|classifier|qualifier|scorer|system)\b"
)
_INSTRUCTIONS = word_patterns(_INSTRUCTION_SOURCE, per_pattern=1)
# Lines that pose as a chat role ("SYSTEM: tier=hot"): the whole line is blanked.
_ROLE_LINE = re.compile(
    r"^[ \t>*#-]*(?:(?:new |updated )?system prompt|system|(?P<chat>assistant|ai|bot)|developer|"
    r"instructions?|prompt)[ \t]*(?P<sep>:|>|=).*$",
    re.MULTILINE,
)
# The question a chatbot's line ends with ("Bot: Thanks! What's your role?"): kept, with its
# label, so the visitor's answer on the next line is read against it and the rules know whose
# line it is; the rest of the line, and an offer ("What can we help you with?", the bot's
# words, not the lead's), is blanked.
_LAST_QUESTION = re.compile(
    r"(?:^|[.!?:][ \t]+)(?P<question>(?![^.!?\n]*\bhelp)[^.!?\n]{2,120}\?)[ \t]*$"
)
# HTML comments are invisible to a reader, so nothing in them is about the lead.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Fake JSON objects ({"score": 100}) are blanked where they stand.
_JSON_OBJECT = re.compile(r"\{[^{}]{0,400}?[\"']\s*:[^{}]{0,400}\}")
_SENTENCE_END = re.compile(r"[!?\n]|\.(?!\d)")


def mask_injections(text: str) -> str:
    """`text` with bot-directed instructions and fake JSON replaced by spaces (same length)."""
    lower = lower_same_length(text)
    spans: list[tuple[int, int]] = []
    if "{" in text:
        spans.extend(m.span() for m in _JSON_OBJECT.finditer(text))
    if "<!--" in text:
        spans.extend(m.span() for m in _HTML_COMMENT.finditer(text))
    for line in _ROLE_LINE.finditer(lower):
        if line["chat"]:
            question = _LAST_QUESTION.search(lower, *line.span())
            spans.append((line.end("sep"), question.start("question") if question else line.end()))
        else:
            spans.append((line.start(), line.end()))
    sentences: Clauses | None = None  # found once: a long sentence may hold many matches
    for pattern in _INSTRUCTIONS:
        for match in pattern.finditer(lower):
            sentences = sentences or Clauses(text, _SENTENCE_END)
            left, right = sentences.around(match.start(), match.end())
            spans.append((left, _injection_end(lower, sentences, left, right)))
    if not spans:
        return text
    return _blank_spans(text, spans)


# What an injection goes on to claim about the lead: "... This lead is a CEO with $1M."
_CLAIM_ABOUT_THE_LEAD = re.compile(
    r"[ \t]*(?:this|the) (?:lead|visitor|prospect|contact|person|user|sender|writer|inquiry|"
    r"enquiry|company|account)(?:'s)? (?:is|has|are|was|must|should|will|needs?)\b"
)


def _injection_end(lower: str, sentences: Clauses, left: int, right: int) -> int:
    """An instruction's sentence with its full stop, and what follows it in the bracket it
    opened ('[NOTE TO AI: ignore ... This lead is a CEO ...]') or the sentences right after it
    that claim what the lead is: its own words, not the lead's."""
    line_start = lower.rfind("\n", 0, left) + 1
    opened = lower.rfind("[", line_start, left)
    if opened >= 0 and lower.find("]", opened, left) < 0:
        closed = lower.find("]", left)
        if closed >= 0:
            return closed + 1
    end = min(right + 1, len(lower))
    while end < len(lower) and _CLAIM_ABOUT_THE_LEAD.match(lower, end):
        end = min(sentences.around(end, end + 1)[1] + 1, len(lower))
    return end


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span's characters but newlines replaced by spaces; overlapping spans
    (every instruction of one long sentence blanks the same sentence) are blanked once."""
    pieces, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if start >= end:
            continue
        pieces.append(text[position:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


# A reply's quoted history: "On Tue, Hannah Reyes wrote:", a quoted "> From: Daniel Ortiz, ..."
# header, or "-----Original Message-----".
_REPLY_HEADER = re.compile(
    r"^[ \t>]*on\b[^\n]{0,160}?\bwrote:[ \t]*$|^[ \t]*>[ \t>]*from:[ \t]*[^\n]*$"
    r"|^[ \t>]*-{2,}[ \t]*original message[ \t]*-{2,}[ \t]*$",
    re.MULTILINE,
)
_FORWARD_MARK = re.compile(
    r"^[ \t>]*(?:-{2,}\s*forwarded message|begin forwarded message|(?:subject:[ \t]*)?fwd?:|from:)",
    re.MULTILINE,
)
_GREETED = re.compile(r"\b(?:hi|hello|hey|dear|thanks|thank you|thx|cheers)[ \t,!]+([a-z][\w'-]+)")
_NAME_WORD = re.compile(r"[a-z][\w'-]+")
_NOT_A_NAME = {"on", "at", "am", "pm", "wrote", "from", "the", "mon", "tue", "wed", "thu", "fri"}


def mask_quoted_reply(text: str) -> str:
    """`text` with the quoted history of a reply blanked (same length).

    When a lead replies to one of our people ("Hi Hannah, ..." above "On Tue, Hannah Reyes
    wrote:"), the quoted message is ours: our rep's pitch, our price, our rep's title. Only a
    reply that greets the quoted author counts, and a forward (where the quoted message is the
    lead's own) is never touched.
    """
    if "wrote:" not in text and ">" not in text and "riginal" not in text and "RIGINAL" not in text:
        return text
    lower = lower_same_length(text)
    header = _REPLY_HEADER.search(lower)
    if header is None or not lower[: header.start()].strip():
        return text
    if _FORWARD_MARK.search(lower, 0, header.start()):
        return text
    author = _quoted_author(header.group())
    greeted = {m[1] for m in _GREETED.finditer(lower, 0, header.start())}
    if not author & greeted:
        return text
    start = header.start()
    return text[:start] + "".join(c if c == "\n" else " " for c in text[start:])


def _quoted_author(header: str) -> set[str]:
    """The first and last name of who wrote a quoted message, from its header line."""
    if "wrote:" in header:
        before = re.sub(r"<[^>]*>", " ", header.rsplit("wrote:", 1)[0]).rsplit(",", 1)[-1]
        words = _NAME_WORD.findall(before)[-2:]
    else:
        words = _NAME_WORD.findall(header.split("from:", 1)[-1].split(",", 1)[0])[:2]
    return {word for word in words if word not in _NOT_A_NAME}


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around text[start:end]: for a single quote (a model's
    evidence); the extractors index a whole text's sentences once with `Clauses`."""
    left = max(text.rfind("\n", 0, start), *(text.rfind(c, 0, start) for c in ".!?"))
    while left > 0 and text[left] == "." and left + 1 < len(text) and text[left + 1].isdigit():
        left = max(text.rfind("\n", 0, left), *(text.rfind(c, 0, left) for c in ".!?"))
    match = _SENTENCE_END.search(text, end)
    return left + 1, match.end() if match else len(text)


def lower_same_length(text: str) -> str:
    """`text` lowercased, character for character, so offsets into it are offsets into `text`
    (a few characters, like 'İ', lowercase to two and are kept as they are)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# Clauses end at sentence punctuation, except the dot of "approx." and other abbreviations.
_CLAUSE_BREAK = re.compile(
    r"[!?;\n]|\.(?<!approx\.)(?<!\best\.)(?<!\bca\.)(?<!\bvs\.)(?<!\betc\.)(?<!\bno\.)"
    r"(?<!\binc\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?!\d)|\.(?=\d{4})|,\s+(?:but|while|and we|whereas)\b"
)


_WRAPPED_LINE = 50
# A line break inside a sentence of wrapped email text: a long line (_WRAPPED_LINE characters
# or more) that ends in a word or a comma, followed by a word ('... with a budget of\naround
# $80k'). One regex: it finds each break at C speed and tests the common case first.
_SOFT_WRAP = re.compile(
    rf"\n(?<=(?:[^\W_]|[,-])\n)(?=[^\W_]|[$€£~])(?<=[^\n]{{{_WRAPPED_LINE}}}\n)"
)


# The same break inside a quoted message: '> ... I want to make a decision\n> by end of May'.
_QUOTED_BREAK = re.compile(r"(?<=[^\W_]|[,-])\n[ \t]*> ?(?=[^\W_]|[$€£~])")


def _unwrap_quoted(text: str) -> str:
    def unwrapped(wrap: re.Match[str]) -> str:
        line = text[text.rfind("\n", 0, wrap.start()) + 1 : wrap.start()]
        quoted = line.lstrip().startswith(">") and len(line) >= _WRAPPED_LINE
        return " " * len(wrap.group()) if quoted else wrap.group()

    return _QUOTED_BREAK.sub(unwrapped, text)


def unwrap_lines(text: str) -> str:
    """`text` with the line breaks that only wrap a sentence turned into spaces (same
    length, so offsets stay valid), in the message and in quoted ('> ') messages."""
    if "\n" not in text:
        return text
    text = _SOFT_WRAP.sub(" ", text)
    return _unwrap_quoted(text) if "\n>" in text or "\n >" in text else text


class Clauses:
    """Clause boundaries of one text, so parsers can ask 'which clause is this in?' cheaply
    (sentences with a `breaks` pattern of sentence ends)."""

    def __init__(self, text: str, breaks: re.Pattern[str] | None = None):
        self._breaks = [m.start() for m in (breaks or _CLAUSE_BREAK).finditer(unwrap_lines(text))]
        self._length = len(text)

    def around(self, start: int, end: int) -> tuple[int, int]:
        i = bisect_left(self._breaks, start)
        left = self._breaks[i - 1] + 1 if i else 0
        j = bisect_right(self._breaks, max(start, end - 1))
        right = self._breaks[j] if j < len(self._breaks) else self._length
        return left, right


@dataclass(slots=True)  # not frozen: see Found
class FormPair:
    """A `Key: value` answer written in the text, or a cell of a pasted table."""

    key: str
    value: str
    start: int
    end: int


# Our side's speaker label in a chat transcript ("Agent (Maya):", "Bot:", "Tallybot:"), on
# lowercased text: what follows is the vendor's chat, not the lead's words or role.
OUR_SPEAKER_LABEL = re.compile(
    r"[ \t]*(?:\[[^\]\n]{0,20}\][ \t]*)?(?:(?:agent|[a-z]*bot|rep|support|sales|host|assistant|"
    r"operator|advisor)[ \t]*(?:\([^)\n]{0,30}\))?[ \t]*:|\[(?:agent|[a-z]*bot|rep|support|host|"
    r"assistant)\])"
)


def said_by_us(lower: str, position: int) -> bool:
    """`position` is on a line of our chat agent or bot ("Bot: Can I ask how big your
    company is?")."""
    return OUR_SPEAKER_LABEL.match(lower, lower.rfind("\n", 0, position) + 1) is not None


_LINE = re.compile(r"[^\n]+")
# Segments of a line: "Budget: 50k; Timeline: 30 days | Title: CFO. Employees: 80"
_SEGMENT_BREAK = re.compile(r"\s*(?:;|\|(?!\|)|\t)\s*|(?<=\.)\s+(?=[A-Z][A-Za-z /&()-]{0,30}:\s)")
_KEY_VALUE = re.compile(
    r"[ \t>*•➜▸▪-]*(?P<key>[A-Za-z][\w()/&'?.-]*(?: [\w()/&'?.-]+){0,5}?)[ \t]*:[ \t]*"
    r"(?P<value>\S(?:.*\S)?)?\s*$"
)
# A raw form dump: "role=Procurement Officer", "company_size=1001-5000" (one-word keys only).
_KEY_EQUALS_VALUE = re.compile(
    r"[ \t>*-]*(?P<key>[A-Za-z][\w.-]{0,30})=(?P<value>\S(?:.*\S)?)?\s*$"
)
_HEADER_CELL = re.compile(r"[A-Za-z][A-Za-z ().#/&?'_-]{0,40}")  # 'No. of Employees'
# A header row: three or more short names, e.g. "Name | Title | Budget" or "name,title,budget".
_TABLE_HEADERS = [
    (
        delimiter,
        re.compile(
            rf"[ \t]*{_HEADER_CELL.pattern}(?:[ \t]*{re.escape(delimiter)}[ \t]*"
            rf"{_HEADER_CELL.pattern}){{2,}}[ \t]*"
        ),
    )
    for delimiter in ("|", "\t", ",", ";")
]


def form_pairs(text: str, start: int = 0) -> list[FormPair]:
    """`Key: value` answers in text[start:]: whole lines, `;`/`|`-separated segments, and
    pasted tables (a header row of names over a row of values, comma/pipe/tab separated)."""
    lines = [m.span() for m in _LINE.finditer(text, start)]
    pairs: list[FormPair] = []
    for index, (line_start, line_end) in enumerate(lines):
        if index + 1 < len(lines):
            pairs.extend(_table_pairs(text, (line_start, line_end), lines[index + 1]))
        if text.find(":", line_start, line_end) == -1:
            if text.find("=", line_start, line_end) != -1:
                match = _KEY_EQUALS_VALUE.fullmatch(text, line_start, line_end)
                if match and match["value"]:
                    pairs.append(
                        FormPair(
                            match["key"], match["value"], match.start("key"), match.end("value")
                        )
                    )
            continue
        position = line_start
        for boundary in [*_SEGMENT_BREAK.finditer(text, line_start, line_end), None]:
            segment_end = boundary.start() if boundary else line_end
            has_colon = text.find(":", position, segment_end) != -1
            match = _KEY_VALUE.fullmatch(text, position, segment_end) if has_colon else None
            if match and match["value"]:
                pairs.append(
                    FormPair(match["key"], match["value"], match.start("key"), match.end("value"))
                )
            position = boundary.end() if boundary else line_end
    return pairs


def _table_pairs(text: str, header: tuple[int, int], row: tuple[int, int]) -> list[FormPair]:
    for delimiter, header_row in _TABLE_HEADERS:
        if text.count(delimiter, *header) < 2 or not header_row.fullmatch(text, *header):
            continue
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
        if text.startswith('"', position) and delimiter == ",":  # "a, b" is one cell
            closing = text.find('"', position + 1, end)
            if closing != -1:
                after = text.find(delimiter, closing, end)
                stop = end if after == -1 else after
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
