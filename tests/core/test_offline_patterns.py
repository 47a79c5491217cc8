"""The offline rules' fast regex wrapper finds exactly what plain `re` finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from qualifiers.extract.patterns import (
    WordPattern,
    casefold_pattern,
    required_literals,
    split_alternatives,
)
from qualifiers.rubric import load_rubric

LEADS_FILE = Path(__file__).resolve().parents[1] / "data" / "leads.yaml"
TEXTS = [
    (item.get("text") or "").lower()
    for item in yaml.safe_load(LEADS_FILE.read_text(encoding="utf-8"))
] + [
    "xno budget here. no budget. budget: tbd",
    "the theme: they're here, he's the cto",
    "we buy this financial year, or within this fiscal year",
]

PATTERNS = [
    r"\b(?:no|zero) budget\b|\bbudget:?\s*(?:none|tbd)\b",
    r"\b(?:she|he|they)(?:'s| is|'re| are) (?:the|a|an) \w+",
    r"\b(?:buy|get) (?:\d[\d,.]*k? )?(?:real )?followers\b",
    r"\bmanual(?:ly)?\b|\bby hand\b|\bspreadsheets?\b",
    r"\b(?:we|i) (?:need|want) to \w+",
    r"\d+ (?:employees|people)",
    r"\bhead of\b|\bvp\b|\bdirector\b",
    r"\b(?:within |in )?(?:this|next) (?:fiscal|financial) year",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_word_pattern_matches_like_plain_re(pattern):
    fast, plain = WordPattern(pattern), re.compile(pattern)
    for text in TEXTS:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_default_rubric_hints_match_like_case_insensitive_re():
    rubric = load_rubric()
    hints = [h.pattern for c in rubric.criteria for h in c.hints]
    hints += [p for c in rubric.criteria for choice in c.choices.values() for p in choice.hints]
    hints += [p for k in rubric.knockouts for p in k.hints]
    for hint in hints:
        fast, plain = casefold_pattern(hint), re.compile(hint, re.IGNORECASE)
        for text in TEXTS:
            got = [m.span() for m in fast.finditer(text)]
            assert got == [m.span() for m in plain.finditer(text)], hint


def test_keyword_led_patterns_skip_the_boundary_and_texts_without_their_words():
    pattern = WordPattern(r"\bthesis\b|\bdissertation\b")
    assert pattern.bounded and pattern.required is not None
    assert not pattern.required("we need a crm") and pattern.required("my thesis")
    assert required_literals(r"(?:i'?m|i am) a (student|undergrad)") == {"student", "undergrad"}


def test_alternatives_split_at_the_top_level_only():
    assert split_alternatives(r"\ba|\b(b|c)|[|]x|\b[]|]y") == [
        r"\ba",
        r"\b(b|c)",
        "[|]x",
        r"\b[]|]y",
    ]
