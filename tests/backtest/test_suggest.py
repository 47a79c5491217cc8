"""Point suggestion on generated history where the right answer is known."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from backtest_helpers import BAD_RUBRIC

from qualifiers.backtest import ScoredLead
from qualifiers.models import Answer, Extraction
from qualifiers.rubric import Rubric, parse_rubric
from qualifiers.scoring import score
from qualifiers.suggest import (
    answer_options,
    encode,
    fit_nonnegative_logistic,
    rewrite_numbers,
    scores_for,
    suggest,
    thresholds_keeping_shares,
)


def scored_under(rubric: Rubric, values: tuple) -> ScoredLead:
    answers = {
        criterion.id: Answer(value=value, evidence=str(value), source="field")
        for criterion, value in zip(rubric.criteria, values, strict=True)
        if value is not None
    }
    return ScoredLead.from_qualification(
        score(rubric, Extraction(answers=answers), qualifier="test")
    )


def history(n: int = 1500, seed: int = 1) -> tuple[list[tuple], list[bool]]:
    """Leads whose conversion follows a known logistic model; some answers missing."""
    rng = np.random.default_rng(seed)
    plans = rng.choice(["enterprise", "team", "free", None], n, p=[0.2, 0.3, 0.4, 0.1])
    seats = rng.choice([3, 40, 400, None], n, p=[0.5, 0.3, 0.15, 0.05])
    demo = rng.choice([True, False, None], n, p=[0.3, 0.6, 0.1])
    logit = -2.0 + np.select([plans == "enterprise", plans == "team"], [2.5, 1.0], 0.0)
    asked_demo = np.array([answer is True for answer in demo])
    logit += np.select([seats == 400, seats == 40], [1.5, 0.7], 0.0) + 1.2 * asked_demo
    labels = rng.random(n) < 1 / (1 + np.exp(-logit))
    return list(zip(plans, seats, demo, strict=True)), labels.tolist()


@pytest.fixture(scope="module")
def suggestion():
    rubric = parse_rubric(BAD_RUBRIC)
    values, labels = history()
    scored = [scored_under(rubric, v) for v in values]
    return suggest(BAD_RUBRIC, scored, labels, file="synthetic.yaml", header="Suggested.")


def test_suggestion_turns_backwards_points_round_and_says_so_in_cross_validation(suggestion):
    assert suggestion.original_cv_auc < 0.4
    assert suggestion.suggested_cv_auc > 0.7
    assert len(suggestion.folds) == 5
    new = {(p.criterion, p.answer): p.new for p in suggestion.points}
    assert new["plan", "enterprise"] > new["plan", "team"] > new["plan", "free"]
    assert new["seats", ">= 100"] > new["seats", "10-99"] > new["seats", "<= 9"]
    assert new["demo", "yes"] > new["demo", "no"]
    assert all(p.new >= 0 for p in suggestion.points)
    best_total = sum(max(c) for c in _points_by_criterion(suggestion.rubric))
    assert abs(best_total - 100) <= len(suggestion.rubric.criteria)


def _points_by_criterion(rubric: Rubric) -> list[list[int]]:
    return [option.points() for option in answer_options(rubric)]


def test_suggested_yaml_is_the_original_with_only_numbers_changed(suggestion):
    original_lines = BAD_RUBRIC.splitlines()
    new_lines = suggestion.yaml_text.splitlines()
    assert new_lines[0] == "# Suggested."
    assert new_lines[1:] == [
        line if not _holds_a_number(line) else new_lines[1 + i]
        for i, line in enumerate(original_lines)
    ]
    assert "# the best plan" in suggestion.yaml_text
    assert "# reps work warm leads too" in suggestion.yaml_text
    assert parse_rubric(suggestion.yaml_text).version == suggestion.rubric.version
    assert new_lines[1] == "name: plans-backwards-suggested"
    assert suggestion.rubric.name == "plans-backwards-suggested"
    assert suggestion.name.old == "plans-backwards"


def _holds_a_number(line: str) -> bool:
    return "points" in line or "min_score" in line or line.startswith("name:")


def test_vectorised_scores_equal_the_real_scoring_of_the_written_rubric(suggestion):
    values, _ = history(n=300, seed=9)
    original = parse_rubric(BAD_RUBRIC)
    codes = encode(answer_options(original), [scored_under(original, v) for v in values])
    fast = scores_for(codes, _points_by_criterion(suggestion.rubric))
    real = [scored_under(suggestion.rubric, v).score for v in values]
    assert fast.tolist() == real


def test_thresholds_keep_each_tiers_share_of_leads(suggestion):
    rubric = parse_rubric(BAD_RUBRIC)
    values, _ = history()
    before = Counter(scored_under(rubric, v).tier for v in values)
    after = Counter(scored_under(suggestion.rubric, v).tier for v in values)
    for tier in ("hot", "warm", "cold"):
        assert after[tier] / len(values) == pytest.approx(before[tier] / len(values), abs=0.08)
    thresholds = [t.min_score for t in suggestion.rubric.tiers]
    assert thresholds == sorted(thresholds, reverse=True) and thresholds[-1] == 0


def test_thresholds_stay_strictly_ordered_when_scores_are_lumpy():
    lumpy = thresholds_keeping_shares(np.array([0] * 90 + [100] * 10), [0.5, 0.3, 0.2])
    assert lumpy[0] > lumpy[1] > lumpy[2] == 0
    assert lumpy[1] > 0 and lumpy[0] <= 100
    spread = thresholds_keeping_shares(np.array([0, 30, 60, 90]), [0.25, 0.25, 0.5])
    assert 60 < spread[0] <= 90 and 30 < spread[1] <= 60 and spread[2] == 0


def test_fit_keeps_weights_non_negative_even_when_an_answer_converts_below_no_answer():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, (2000, 1)).astype(np.int32)  # 0 none, 1 good, 2 worse than none
    rate = np.choose(codes[:, 0], [0.3, 0.7, 0.1])
    labels = rng.random(2000) < rate
    (weights,) = fit_nonnegative_logistic(codes, [2], labels)
    assert weights[0] > 1.0
    assert weights[1] == 0.0


def test_rewrite_refuses_a_path_that_is_not_a_number():
    with pytest.raises(ValueError):
        rewrite_numbers(BAD_RUBRIC, {("criteria", 0, "choices"): 3})
    with pytest.raises(ValueError):
        rewrite_numbers(BAD_RUBRIC, {("criteria", 9, "points"): 3})


def test_suggest_needs_both_outcomes():
    rubric = parse_rubric(BAD_RUBRIC)
    scored = [scored_under(rubric, ("team", 3, True))] * 20
    with pytest.raises(ValueError, match="both"):
        suggest(BAD_RUBRIC, scored, [True] * 20)
