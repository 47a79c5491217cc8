"""Timelines in months: 'ASAP', 'this quarter', 'within 90 days', '3-6 months' (-> 6).

A range counts at its latest end. Durations that are not a buying timeline ('6 months ago',
'a 12-month contract', 'for the past 2 years', '18 months of runway') are skipped.
"""

from __future__ import annotations

import math
import re

from qualifiers.extract.numbers import (
    DIGITS,
    WORD_NUMBER,
    parse_field_number,
    to_float,
    word_number,
)
from qualifiers.extract.text import Found

_PHRASES: list[tuple[str, float]] = [
    (
        r"asap|a\.s\.a\.p\.?|as soon as (?:possible|we can)|urgent(?:ly)?|immediately|right away|"
        r"right now|straight away|yesterday|this week|next week|today|tomorrow|"
        r"end of (?:the|this) week|in the coming days|next (?:few|couple of) days",
        1,
    ),
    (
        r"(?:this|the current) month|end of (?:the |this )?month|(?:in|within) (?:the )?(?:next|"
        r"coming) (?:few|couple(?: of)?) weeks|(?:in )?(?:a|the) (?:few|couple(?: of)?) weeks|"
        r"coming weeks|next few weeks|within (?:a|one) month|in a month",
        1,
    ),
    (r"next month|end of next month|early next month|by next month", 2),
    (
        r"(?:this|the current|current) quarter|end of (?:the |this )?quarter|this q|"
        r"(?:within|in) (?:the|this|a) quarter|quarter[- ]end|eoq",
        3,
    ),
    (r"next quarter|end of next quarter|following quarter|(?:within|in) (?:the )?next quarter", 6),
    (
        r"(?:this|the current) (?:fiscal |calendar )?year|end of (?:the |this )?year|"
        r"(?:by |before )?(?:the )?year[- ]end|eoy|(?:within|in) (?:a|the|one) year|"
        r"(?:this|the current) fy",
        12,
    ),
    (r"early next year|beginning of next year|start of next year|early 20\d\d", 12),
    (r"next (?:fiscal |calendar )?year|next fy|later next year|in 20\d\d", 18),
]
_PHRASE = re.compile(
    "|".join(f"(?P<p{i}>\\b(?:{pattern})\\b)" for i, (pattern, _) in enumerate(_PHRASES)),
    re.IGNORECASE,
)
_PHRASE_MONTHS = [months for _, months in _PHRASES]

_QTY = rf"(?:(?P<num>{DIGITS})|(?P<word>{WORD_NUMBER}))"
_QTY2 = rf"(?:(?P<num2>{DIGITS})|(?P<word2>{WORD_NUMBER}))"
_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mos?|quarters?|years?|yrs?)"
_UNIT_MONTHS = {"d": 1 / 30, "w": 12 / 52, "m": 1, "q": 3, "y": 12}
_DURATION = re.compile(
    r"\b(?P<lead>(?:within|in|over|more than|longer than|beyond|next|inside|under|less than|"
    r"by|before|around|about|"
    r"approximately|roughly|max(?:imum)?|up to|the next|in the next|within the next|over the next|"
    r"in about|in around|in roughly|in the coming|the coming|another)\s+)?"
    rf"(?:about |around |roughly |approximately |~)?{_QTY}"
    rf"(?:\s*(?:-|–|—|to|or)\s*{_QTY2})?(?P<plus>\s?\+)?[\s-]?{_UNIT}\b"
    r"(?P<and_half> and a half)?",
    re.IGNORECASE,
)
_NOT_TIMELINE_AFTER = re.compile(
    r"\s*(?:ago|old|later|back|of (?:runway|data|history|usage|experience|free|trial)|"
    r"(?:free )?trial|free|contract|subscription|term|commitment|warranty|payback|notice|"
    r"pilot|lease|deal|licen[cs]e|plan|agreement|cycle|retention|runway|in business|"
    r"(?:of )?(?:experience|operation|operating))\b",
    re.IGNORECASE,
)
_NOT_TIMELINE_BEFORE = re.compile(
    r"(?:\b(?:for|past|last|previous|since|been|every|per|each|after|payback|roi|took|took us|"
    r"spent|lasted|took about|ago|founded|old|running|using|used|had|age|aged)\W+(?:\w+\W+){0,2}"
    r"|(?:over|in|for) the (?:past|last)\W+)$",
    re.IGNORECASE,
)
# Durations with a buying word near them win over other durations in the lead.
_TIMELINE_CONTEXT = re.compile(
    r"\b(?:timeline|timeframe|time frame|deadline|decide|decision|buy|purchase|go[- ]live|live|"
    r"launch|implement|roll[- ]?out|deploy|start|up and running|in place|sign|kick[- ]?off|"
    r"onboard|switch|migrate|replace|need|looking to|want|plan|hoping|ready|by)\b",
    re.IGNORECASE,
)


def find_timeline(text: str) -> Found | None:
    """The buying timeline in months; the first one next to a buying word, else the first."""
    candidates: list[tuple[int, Found]] = []
    for match in _PHRASE.finditer(text):
        group = match.lastgroup or "p0"
        months = _PHRASE_MONTHS[int(group[1:])]
        candidates.append((match.start(), Found(months, match.start(), match.end(), 0.8)))
    for match in _DURATION.finditer(text):
        months = _duration_months(match)
        if months is None or _skipped(text, match):
            continue
        candidates.append((match.start(), Found(months, match.start(), match.end(), 0.8)))
    if not candidates:
        return None
    candidates.sort(key=lambda item: item[0])
    for _, found in candidates:
        window = text[max(0, found.start - 60) : found.end + 40]
        if _TIMELINE_CONTEXT.search(window):
            return found
    return candidates[0][1]


def _skipped(text: str, match: re.Match[str]) -> bool:
    if match["lead"]:
        return bool(_NOT_TIMELINE_AFTER.match(text, match.end()))
    if text[match.end() - len(match["unit"]) - 1] == "-" and not re.match(
        r"\s*(?:timeline|timeframe|window|horizon|deadline)", text[match.end() :], re.IGNORECASE
    ):
        return True
    return bool(
        _NOT_TIMELINE_AFTER.match(text, match.end())
        or _NOT_TIMELINE_BEFORE.search(text, max(0, match.start() - 40), match.start())
    )


_BEYOND = ("more than", "longer than", "beyond")


def _duration_months(match: re.Match[str]) -> float | None:
    low = to_float(match["num"]) if match["num"] else word_number(match["word"])
    high = None
    if match["num2"] or match["word2"]:
        high = to_float(match["num2"]) if match["num2"] else word_number(match["word2"])
    value = high if high is not None and low is not None and high >= low else low
    if value is None or value <= 0:
        return None
    if match["and_half"]:
        value += 0.5
    months = value * _UNIT_MONTHS[match["unit"][0].lower()]
    if match["plus"] or (match["lead"] or "").strip().lower() in _BEYOND:
        months += 1
    if months > 120:
        return None
    return float(max(1, math.ceil(months - 1e-9)))


def parse_timeline(value: str) -> float | None:
    """A form value: '3-6 months' -> 6, 'ASAP' -> 1, 'Q3'-free '6' -> 6 (months)."""
    found = find_timeline(value)
    if found is not None:
        return float(found.value)
    number = parse_field_number(value, high_end=True)
    if number is None or number < 0 or re.search(r"[a-zA-Z]", value):
        return None
    return number
