"""Bands proposed for numeric criteria, and the suggestion that uses them."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from qualifiers.backtest import ScoredLead
from qualifiers.bands import (
    band_codes,
    band_yaml,
    merge_equal_bands,
    propose_bands,
    readable,
    whole_numbers,
)
from qualifiers.models import Answer, Extraction
from qualifiers.rubric import Band, parse_rubric
from qualifiers.scoring import score
from qualifiers.suggest import answer_options, encode, rewrite_numbers, scores_for, suggest


def bands(*spans: tuple[int | None, int | None, int]) -> list[Band]:
    return [Band(min=low, max=high, points=points) for low, high, points in spans]


@pytest.mark.parametrize(
    ("edge", "expected"),
    [(0, 0), (7, 7), (-99, -99), (99, 99), (448, 450), (1234, 1200), (-171, -170), (5849, 5800)],
)
def test_edges_are_rounded_to_two_significant_digits(edge, expected):
    assert readable(edge) == expected


@pytest.mark.parametrize(
    ("spans", "wholes", "expected"),
    [
        ([(None, 9, 1), (10, 99, 2), (100, None, 3)], [3, 10, 99, 100, 5000], [1, 2, 2, 3, 3]),
        ([(None, 9, 1)], [np.nan, 9, 10], [0, 1, 0]),  # unanswered and unmatched earn nothing
        ([(0, 10, 1), (5, 20, 2)], [7, 15], [1, 2]),  # overlapping: the first band wins
        ([(-5, -1, 1), (0, 0, 2)], [-3, 0, 1], [1, 2, 0]),
    ],
)
def test_band_codes_match_scoring_order(spans, wholes, expected):
    assert band_codes(bands(*spans), np.asarray(wholes, dtype=float)).tolist() == expected


def test_proposed_bands_cover_every_number_and_hold_enough_leads_each():
    rng = np.random.default_rng(3)
    wholes = np.r_[np.floor(rng.lognormal(5, 1.5, 3000)), [np.nan] * 200]
    original = bands((None, 99, 0), (100, 999, 5), (1000, None, 9))
    proposed = propose_bands(original, wholes, max_bands=8, min_share=0.02, min_leads=30)
    assert proposed[0].min is None and proposed[-1].max is None
    for low, high in pairwise(proposed):
        assert high.min == low.max + 1  # contiguous, no gaps or overlaps
    codes = band_codes(proposed, wholes)
    answered = ~np.isnan(wholes)
    assert (codes[answered] > 0).all() and (codes[~answered] == 0).all()
    counts = np.bincount(codes[answered])[1:]
    assert counts.min() >= 0.02 * answered.sum()
    edges = {band.min for band in proposed if band.min is not None}
    assert {100, 1000} <= edges  # the manager's own edges stay candidates
    assert len(proposed) > len(original)
    assert all(edge == readable(edge) for edge in edges - {100, 1000})


@pytest.mark.parametrize(
    ("wholes", "why"),
    [([5.0] * 40, "too few leads to split"), ([np.nan] * 500, "nobody answered")],
)
def test_too_little_data_keeps_the_original_bands(wholes, why):
    original = bands((None, 9, 0), (10, None, 5))
    assert propose_bands(original, np.asarray(wholes), min_leads=30) == original, why


def test_one_value_everywhere_keeps_the_original_bands():
    original = bands((None, 9, 0), (10, None, 5))
    assert propose_bands(original, np.full(1000, 4.0)) == original


@pytest.mark.parametrize(
    ("spans", "points", "expected"),
    [
        (
            [(None, 0, 0), (1, 9, 0), (10, 19, 4), (20, None, 4)],
            [3, 3, 4, 4],
            [(None, 9, 3), (10, None, 4)],
        ),
        (
            [(None, 0, 0), (1, 9, 0), (10, None, 0)],
            [1, 2, 1],
            [(None, 0, 1), (1, 9, 2), (10, None, 1)],
        ),
        ([(None, 5, 0), (6, None, 0)], [7, 7], [(None, None, 7)]),
    ],
)
def test_neighbouring_bands_with_equal_points_merge(spans, points, expected):
    assert merge_equal_bands(bands(*spans), points) == bands(*expected)


@pytest.mark.parametrize(
    ("band", "text"),
    [
        (Band(max=4, points=3), "{max: 4, points: 3}"),
        (Band(min=5, max=9, points=0), "{min: 5, max: 9, points: 0}"),
        (Band(min=-170, max=-1, points=2), "{min: -170, max: -1, points: 2}"),
        (Band(min=28, points=1), "{min: 28, points: 1}"),
    ],
)
def test_band_yaml(band, text):
    assert band_yaml(band) == text


AGE_RUBRIC = """\
name: ages
criteria:
  - id: age
    label: Age
    question: How old?
    type: number
    fields: [Age]
    bands:  # one wide band: the rubric cannot tell 30 from 60
      - {max: 17, points: 0}
      - min: 18
        points: 5
  - id: demo
    label: Demo
    question: Demo?
    type: yes_no
    points: {yes: 10, no: 0}
tiers:
  - {id: hot, min_score: 60}
  - {id: cold, min_score: 0}
"""


def age_history(n: int = 3000, seed: int = 2) -> tuple[list[tuple], list[bool]]:
    """Conversion peaks for the over-60s, which the hand-written bands lump with everyone."""
    rng = np.random.default_rng(seed)
    ages = rng.integers(18, 80, n)
    demo = rng.random(n) < 0.4
    logit = -2.0 + 2.5 * (ages >= 60) + 0.8 * demo
    labels = rng.random(n) < 1 / (1 + np.exp(-logit))
    return [(int(a), bool(d)) for a, d in zip(ages, demo, strict=True)], labels.tolist()


def scored_under(rubric, values) -> ScoredLead:
    answers = {
        c.id: Answer(value=v, evidence=str(v), source="field")
        for c, v in zip(rubric.criteria, values, strict=True)
    }
    return ScoredLead.from_qualification(
        score(rubric, Extraction(answers=answers), qualifier="test")
    )


@pytest.fixture(scope="module")
def age_suggestions():
    rubric = parse_rubric(AGE_RUBRIC)
    values, labels = age_history()
    scored = [scored_under(rubric, v) for v in values]
    redrawn = suggest(AGE_RUBRIC, scored, labels)
    kept = suggest(AGE_RUBRIC, scored, labels, new_bands=False)
    return redrawn, kept, values


def test_redrawn_bands_find_what_the_hand_written_ones_lump_together(age_suggestions):
    redrawn, kept, _ = age_suggestions
    assert redrawn.suggested_cv_auc > kept.suggested_cv_auc + 0.05
    age = redrawn.rubric.criterion("age")
    old_age = next(p.points for p in age.bands if p.contains(40))
    assert next(p.points for p in age.bands if p.contains(65)) > old_age
    assert [c.criterion for c in redrawn.bands] == ["age"]
    assert kept.bands == [] and kept.rubric.criterion("age").bands[1].min == 18


def test_the_written_rubric_scores_exactly_as_the_fit_did(age_suggestions):
    redrawn, _, values = age_suggestions
    original = parse_rubric(AGE_RUBRIC)
    fitted = parse_rubric(redrawn.yaml_text)
    real = [scored_under(fitted, v).score for v in values]
    options = answer_options(fitted)
    fast = scores_for(
        encode(options, [scored_under(original, v) for v in values]),
        [o.points() for o in options],
    )
    assert fast.tolist() == real
    assert "# one wide band" in redrawn.yaml_text  # the comment on the bands survives


def test_band_point_changes_say_what_those_leads_earned_before(age_suggestions):
    redrawn, _, _ = age_suggestions
    age_changes = [p for p in redrawn.points if p.criterion == "age"]
    assert [p.answer for p in age_changes] == [
        "<= " + str(b.max)
        if b.min is None
        else f">= {b.min}"
        if b.max is None
        else f"{b.min}-{b.max}"
        for b in redrawn.rubric.criterion("age").bands
    ]
    assert {p.old for p in age_changes} == {5}  # every lead is 18 or older
    assert redrawn.changed_points == sorted(
        redrawn.changed_points, key=lambda p: -abs(p.new - p.old)
    )
    assert all(p.old != p.new for p in redrawn.changed_points)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        (
            "bands:\n  - {max: 1, points: 0}\n  - {min: 2, points: 3}\nnext: 1\n",
            "bands:\n  - {max: 4, points: 1}\n  - {min: 5, points: 2}\nnext: 1\n",
        ),
        (
            "bands: [{max: 1, points: 0}, {min: 2, points: 3}]  # inline\n",
            "bands: [{max: 4, points: 1}, {min: 5, points: 2}]  # inline\n",
        ),
        (
            "bands:\n- min: 2\n  points: 3\n\n# after\nnext: 1\n",
            "bands:\n- {max: 4, points: 1}\n- {min: 5, points: 2}\n\n# after\nnext: 1\n",
        ),
    ],
)
def test_rewrite_replaces_a_bands_list_in_any_style(original, expected):
    new = bands((None, 4, 1), (5, None, 2))
    assert rewrite_numbers(original, {("bands",): new}) == expected


@pytest.mark.parametrize(
    ("name", "line"),
    [("plans-suggested", "name: plans-suggested"), ("Plans: v2", 'name: "Plans: v2"')],
)
def test_rewrite_names_the_rubric(name, line):
    assert rewrite_numbers("name: plans  # ours\n", {("name",): name}) == f"{line}  # ours\n"


def test_whole_numbers_ignore_what_is_not_a_number():
    rubric = parse_rubric(AGE_RUBRIC)
    wholes = whole_numbers(rubric.criteria[0], [30, 45.9, None, True, "x"])
    assert wholes[:2].tolist() == [30, 45]
    assert np.isnan(wholes[2:]).all()


def test_kept_bands_change_only_their_points_in_the_text(age_suggestions):
    _, kept, _ = age_suggestions
    new_lines = kept.yaml_text.splitlines()
    assert len(new_lines) == len(AGE_RUBRIC.splitlines())
    for old, new in zip(AGE_RUBRIC.splitlines(), new_lines, strict=True):
        if old != new:
            assert old.split(":")[0] == new.split(":")[0], (old, new)
            assert "points" in old or "min_score" in old or old.startswith("name:")
