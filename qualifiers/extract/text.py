"""Text plumbing shared by the offline parsers: found spans, clause bounds, injection masking.

Every parser works on a *masked* copy of the lead's searchable text: the same length as the
original, with instructions aimed at the bot blanked out. Offsets therefore stay valid, and
evidence is always sliced from the original text, so it is verbatim by construction.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from re import _constants as _regex_constants  # the stdlib's own regex parser, for literals
from re import _parser as _regex_parser

from qualifiers.models import AnswerValue


@dataclass(frozen=True, slots=True)
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
# Lines that pose as a chat role ("SYSTEM: tier=hot"): the whole line is blanked.
_ROLE_LINE = re.compile(
    r"^[ \t>*#-]*(?:(?:new |updated )?system prompt|system|assistant|developer|instructions?|"
    r"prompt|ai|bot)[ \t]*(?::|>|=).*$",
    re.MULTILINE,
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
    spans.extend(m.span() for m in _ROLE_LINE.finditer(lower))
    for pattern in _INSTRUCTIONS:
        for match in pattern.finditer(lower):
            spans.append(sentence_bounds(text, match.start(), match.end()))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def lower_same_length(text: str) -> str:
    """`text` lowercased, character for character, so offsets into it are offsets into `text`
    (a few characters, like 'İ', lowercase to two and are kept as they are)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def casefold_pattern(pattern: str) -> WordPattern:
    """A manager's case-insensitive regex, compiled for lowercased text: literal characters
    are lowercased, escapes such as \\W or \\B keep their meaning."""
    folded: list[str] = []
    position = 0
    while position < len(pattern):
        if pattern[position] == "\\":
            folded.append(pattern[position : position + 2])
            position += 2
        else:
            folded.append(pattern[position].lower())
            position += 1
    try:
        return WordPattern("".join(folded))
    except re.error:
        return WordPattern(pattern, re.IGNORECASE)


class WordPattern:
    """A regex that is quick to scan, with the same matches as the original pattern.

    Python's `re` only skips ahead quickly when a pattern starts with literal characters; a
    leading `\\b` (or IGNORECASE, hence the lowercased text) defeats that. When every
    alternative is `\\b` + literal, the boundary is dropped from the regex and checked on
    each match instead: 3-10x faster for keyword-led rules. The scan is skipped entirely
    when none of the strings the pattern needs occurs in the text.
    """

    __slots__ = ("bounded", "pattern", "regex", "required")

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern = pattern
        alternatives = split_alternatives(pattern)
        stripped = "|".join(_spread_leading_group(alternative[2:]) for alternative in alternatives)
        self.bounded = (
            not flags & re.IGNORECASE
            and all(alternative.startswith("\\b") for alternative in alternatives)
            and _scans_fast(stripped)
        )
        self.regex = re.compile(stripped if self.bounded else pattern, flags)
        required = None if flags & re.IGNORECASE else required_literals(self.regex.pattern)
        self.required = None if required is None else _literal_scanner(required)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None):
        if self.required is not None and not self.required(text):
            return
        endpos = len(text) if endpos is None else endpos
        while pos <= endpos:
            match = self.regex.search(text, pos, endpos)
            if match is None:
                return
            if self.bounded and not at_word_boundary(text, match.start()):
                pos = match.start() + 1
                continue
            yield match
            pos = match.end() if match.end() > match.start() else match.end() + 1

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return next(self.finditer(text, pos, endpos), None)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        match = self.regex.match(text, pos)
        if match and self.bounded and not at_word_boundary(text, pos):
            return None
        return match


_LITERAL = _regex_constants.LITERAL
_SUBPATTERN = _regex_constants.SUBPATTERN
_BRANCH = _regex_constants.BRANCH
_IN = _regex_constants.IN
_REPEATS = (_regex_constants.MAX_REPEAT, _regex_constants.MIN_REPEAT)


def word_patterns(pattern: str, per_pattern: int = 4) -> tuple[WordPattern, ...]:
    """A big alternation as several small WordPatterns, so each can be skipped by its own
    literal prefilter: most texts contain none of a rule's keywords."""
    alternatives = split_alternatives(pattern)
    return tuple(
        WordPattern("|".join(alternatives[i : i + per_pattern]))
        for i in range(0, len(alternatives), per_pattern)
    )


def finditer_near(
    pattern: re.Pattern[str] | WordPattern,
    anchors: WordPattern,
    text: str,
    before: int = 60,
    requires: re.Pattern[str] | None = None,
):
    """Matches of `pattern` (which start at a word) that contain one of the `anchors` words,
    tried only at the few words shortly before each anchor. For patterns that may start at
    any word ('about 80 staff' may start at 'about' or '80') this is far cheaper than a scan.
    `requires`, if given, must occur before the anchor in the window (a cheap pre-check)."""
    seen: set[int] = set()
    resume = 0
    for anchor in anchors.finditer(text):
        window_start = max(resume, anchor.start() - before)
        if requires is not None and not requires.search(text, window_start, anchor.start()):
            continue
        for word in _WORD_START.finditer(text, window_start, anchor.start() + 1):
            if word.start() in seen:
                continue
            match = pattern.match(text, word.start())
            if match and match.end() >= anchor.end():
                seen.add(word.start())
                resume = match.end()
                yield match
                break


_WORD_START = re.compile(r"\b\w")


def at_word_boundary(text: str, position: int) -> bool:
    before = position > 0 and (text[position - 1].isalnum() or text[position - 1] == "_")
    after = position < len(text) and (text[position].isalnum() or text[position] == "_")
    return before != after


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which appears in any text the pattern matches (None if unknown), so a
    rule can be skipped with a few fast substring tests. Uses the stdlib's regex parser."""
    try:
        return _required(_regex_parser.parse(pattern).data)
    except (re.error, TypeError, ValueError, AttributeError, IndexError):
        return None


_LEADING_WORDS = re.compile(r"\(\?:([a-z' ]+(?:\|[a-z' ]+)+)\)")


def _spread_leading_group(alternative: str) -> str:
    """'(?:buy|get) x' -> 'buy x|get x', so the alternative starts with a literal."""
    match = _LEADING_WORDS.match(alternative)
    if match is None:
        return alternative
    rest = alternative[match.end() :]
    if split_alternatives(rest) != [rest]:
        return alternative
    return "|".join(word + rest for word in match[1].split("|"))


def _scans_fast(pattern: str) -> bool:
    """Whether `re` can skip ahead by first character: the pattern starts with a literal, a
    character class, or alternatives that each start with a literal."""
    try:
        items = _regex_parser.parse(pattern).data
    except re.error:
        return False
    while items and items[0][0] is _SUBPATTERN:
        items = items[0][1][3].data
    if not items:
        return False
    op, argument = items[0]
    if op is _BRANCH:
        return all(branch.data and branch.data[0][0] is _LITERAL for branch in argument[1])
    return op is _LITERAL or op is _IN


def _literal_scanner(words: frozenset[str]):
    """A fast 'does any of these strings occur?' test, or None when testing would cost more
    than it saves (many short strings: Python has no multi-string search)."""
    if len(words) > 8:
        return None
    ordered = tuple(words)

    def any_occurs(text: str) -> bool:
        for word in ordered:  # noqa: SIM110 (a plain loop: any() over a generator is slower)
            if word in text:
                return True
        return False

    return any_occurs


def _required(items) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, argument in items:
        if op is _LITERAL:
            run.append(chr(argument))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        if op is _SUBPATTERN:
            inner = _required(argument[3].data)
        elif op is _BRANCH:
            branches = [_required(branch.data) for branch in argument[1]]
            inner = frozenset().union(*branches) if all(branches) else None
        elif op in _REPEATS and argument[0] >= 1:
            inner = _required(argument[2].data)
        else:
            inner = None
        if inner:
            candidates.append(inner)
    if run:
        candidates.append(frozenset({"".join(run)}))
    if not candidates:
        return None
    return max(candidates, key=lambda words: (min(map(len, words)), -len(words)))


def split_alternatives(pattern: str) -> list[str]:
    """The top-level `|` alternatives of a regex (escapes, classes and groups respected)."""
    parts: list[str] = []
    depth = 0
    in_class = False
    current: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            current.append(pattern[position : position + 2])
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("]", position + 1) or pattern.startswith("^]", position + 1):
                current.append(pattern[position : position + 2])
                position += 2
                continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            position += 1
            continue
        current.append(char)
        position += 1
    parts.append("".join(current))
    return parts


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around text[start:end]."""
    left = max(text.rfind("\n", 0, start), *(text.rfind(c, 0, start) for c in ".!?"))
    while left > 0 and text[left] == "." and left + 1 < len(text) and text[left + 1].isdigit():
        left = max(text.rfind("\n", 0, left), *(text.rfind(c, 0, left) for c in ".!?"))
    match = _SENTENCE_END.search(text, end)
    return left + 1, match.end() if match else len(text)


# Clauses end at sentence punctuation, except the dot of "approx." and other abbreviations.
_CLAUSE_BREAK = re.compile(
    r"[!?;\n]|\.(?<!approx\.)(?<!\best\.)(?<!\bca\.)(?<!\bvs\.)(?<!\betc\.)(?<!\bno\.)"
    r"(?<!\binc\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?!\d)|\.(?=\d{4})|,\s+(?:but|while|and we|whereas)\b"
)


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
_HEADER_CELL = re.compile(r"[A-Za-z][A-Za-z ()/&?'_-]{0,40}")
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


_INSTRUCTIONS = word_patterns(_INSTRUCTION_SOURCE, per_pattern=1)
