"""Fast regular expressions for the offline rules.

Python's `re` scans quickly only for patterns that start with literal characters, and it is
several times slower with IGNORECASE. The rules therefore run on lowercased text, and
`WordPattern` compiles a keyword-led rule so that `re` can skip ahead, checks the word
boundary itself, and skips the scan altogether when the text lacks the words the rule needs.
`finditer_near` runs patterns that may start at any word only near an anchor word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from re import _constants as _regex_constants  # the stdlib's own regex parser, for literals
from re import _parser as _regex_parser


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

    __slots__ = ("bounded", "needs", "nonempty", "pattern", "regex")

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
        self.nonempty = _never_empty(self.regex)
        # Tested inline in each scan (a call per scan would cost as much as the test).
        self.needs = () if flags & re.IGNORECASE else _fewest_needs(self.regex.pattern, pattern)

    @property
    def required(self) -> Callable[[str], bool] | None:
        """Whether a text has one of the strings the pattern needs; None when not tested."""
        if not self.needs:
            return None
        return lambda text: any(word in text for word in self.needs)

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[re.Match[str]]:
        for word in self.needs:
            if word in text:
                break
        else:
            if self.needs:
                return iter(())
        endpos = len(text) if endpos is None else endpos
        if not self.bounded and self.nonempty:  # nothing to check: `re`'s own loop, in C
            return self.regex.finditer(text, pos, endpos)
        return self._checked_matches(text, pos, endpos)

    def _checked_matches(self, text: str, pos: int, endpos: int) -> Iterator[re.Match[str]]:
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
        """The first match `finditer` gives, without building an iterator."""
        for word in self.needs:
            if word in text:
                break
        else:
            if self.needs:
                return None
        endpos = len(text) if endpos is None else endpos
        while pos <= endpos:
            match = self.regex.search(text, pos, endpos)
            if match is None or not self.bounded or at_word_boundary(text, match.start()):
                return match
            pos = match.start() + 1
        return None

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
    if rest[:1] in ("?", "*", "+", "{") or split_alternatives(rest) != [rest]:
        return alternative  # a quantified group ("(?:in |by )?x") is not a leading literal
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


def _never_empty(regex: re.Pattern[str]) -> bool:
    """Whether every match is at least one character long (so `re.finditer` resumes where
    the loop in `WordPattern` would)."""
    try:
        return _regex_parser.parse(regex.pattern, regex.flags).getwidth()[0] > 0
    except (re.error, TypeError, ValueError):
        return False


def _fewest_needs(compiled: str, original: str) -> tuple[str, ...]:
    """The strings worth testing for, from the compiled form of a pattern or, when it has
    none, from the original: spreading a leading group ('(?:rate|score) this ... hot' ->
    'rate this ... hot|score this ... hot') makes each alternative pick its own first word,
    where the whole needs one of a few later words. (Parsing a form costs start-up time.)"""
    for form in (compiled, original) if compiled != original else (compiled,):
        words = required_literals(form)
        needs = _worth_testing(words) if words else ()
        if needs:
            return needs
    return ()


# Sixteen substring tests cost less than one scan of a lead by a keyword-led regex.
_MOST_NEEDS = 16


def _worth_testing(words: frozenset[str]) -> tuple[str, ...]:
    """The strings to test for before a scan, or none when testing would cost more than it
    saves (many short strings: Python has no multi-string search). A string that contains
    another of them is not tested: it can only be there when the shorter one is."""
    shortest: list[str] = []
    for word in sorted(words, key=lambda word: (len(word), word)):
        if not any(kept in word for kept in shortest):
            if len(shortest) == _MOST_NEEDS:
                return ()
            shortest.append(word)
    return tuple(shortest)


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
