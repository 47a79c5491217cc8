"""Answers to questions written in a lead's text, beside the `Key: value` lines of a form.

Booking tools, Typeform exports and chatbots write a question and its answer in their own
ways: "Job title? -> Sales Ops Manager", "2. Role → Founder & CEO", "Q: What's your role?"
over "A: VP of Sales", or a bot's "What's your role?" answered on the visitor's next line.
Each becomes a `FormPair` whose key is the question, so the rules that read fields by name
("role", "budget", "when", "employees") read these answers too.
"""

from __future__ import annotations

import re

from qualifiers.extract.text import FormPair

_LINE = re.compile(r"[^\n]+")
# "3. How big is your company? → 500-1000", "Q: Company size → 50-199", "➜ Budget -> TBD".
_ARROW = re.compile(
    r"[ \t]*(?:\d{1,2}[.)][ \t]*|q\d{0,2}[:.)]?[ \t]+|[-*•➜][ \t]*)?"
    # ... or a badge scanner's "Q3 Budget range? > 10-25k"
    r"(?P<key>[^\n→]{2,80}?)[ \t]*(?:→|->|=>|—>|➜|(?<=\?)[ \t]*>(?=[ \t]))[ \t]*"
    r"(?P<value>[^\n]*\S)[ \t]*",
    re.IGNORECASE,
)
# A speaker's label: "Bot:", "Q:", "Agent (Julie) :", "[10:15] Visitor :", "A -".
_SPEAKER = re.compile(
    r"[ \t]*(?:\[[\d:. apm]{3,12}\][ \t]*)?(?P<who>[A-Za-zÀ-ÿ][\w ().'-]{0,30}?)[ \t]*[:>-][ \t]+",
)
_QUESTION_LABEL = re.compile(r"(?:q|question|bot|agent|assistant|rep|sales|host)\b", re.I)
_ANSWER_LABEL = re.compile(
    r"(?:a|answer|visitor|visiteur|visitante|bezoeker|besucher|user|customer|client|guest|"
    r"prospect|lead|me|you|invitee)\b",
    re.IGNORECASE,
)
_UNLABELLED_WORDS = 15  # an answer line without a speaker is short: "51-200", "VP Sales"
_MAX_LINES = 200


def question_answer_pairs(text: str, start: int = 0) -> list[FormPair]:
    """Question-and-answer pairs in text[start:]: one-line arrows, and a question line
    (ending in '?', optionally led by a speaker) followed by its answer line."""
    if "?" not in text and "→" not in text and "->" not in text and "➜" not in text:
        return []
    lines = [m.span() for m in _LINE.finditer(text, start)][:_MAX_LINES]
    pairs: list[FormPair] = []
    for index, (line_start, line_end) in enumerate(lines):
        arrow = _ARROW.fullmatch(text, line_start, line_end)
        if arrow is not None:
            pairs.append(
                FormPair(arrow["key"], arrow["value"], arrow.start("key"), arrow.end("value"))
            )
            continue
        if index + 1 >= len(lines) or not text[line_start:line_end].rstrip().endswith("?"):
            continue
        question = _question(text, line_start, line_end)
        answer = _answer(text, *lines[index + 1])
        if question is not None and answer is not None:
            key_start, key = question
            value_start, value = answer
            pairs.append(FormPair(key, value, key_start, value_start + len(value)))
    return pairs


def _question(text: str, start: int, end: int) -> tuple[int, str] | None:
    """The question a line ends with, without its speaker label: (start, question)."""
    label = _SPEAKER.match(text, start, end)
    if label is not None:
        if _ANSWER_LABEL.match(label["who"]):
            return None  # the visitor asking us something is not a form question
        start = label.end()
    line = text[start:end].rstrip()
    begins = max(line.rfind(". "), line.rfind("! "), line.rfind("? ", 0, len(line) - 1))
    begins = begins + 2 if begins >= 0 else 0
    question = line[begins:].strip()
    if not 2 <= len(question) <= 120:
        return None
    return text.index(question, start), question


def _answer(text: str, start: int, end: int) -> tuple[int, str] | None:
    """The answer on the line after a question: after an answering speaker's label, or a
    short line with no label; never another speaker's line or a form line."""
    label = _SPEAKER.match(text, start, end)
    if label is not None:
        if not _ANSWER_LABEL.match(label["who"]):
            return None
        start = label.end()
    value = text[start:end].strip()
    if not value or (label is None and len(value.split()) > _UNLABELLED_WORDS):
        return None
    return text.index(value, start), value
