"""Pure scoring: answers -> points, score, tier, knockout, missing. No extractor involved."""

from __future__ import annotations

import pytest

from qualifiers.models import Answer, Extraction, KnockoutHit
from qualifiers.rubric import parse_rubric
from qualifiers.scoring import points_for, score


def answers(**values) -> Extraction:
    return Extraction(
        answers={
            key: Answer(value=value, evidence=f"said {value}") for key, value in values.items()
        }
    )


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (1_000_000, 25),
        (50_000, 25),
        (49_999.99, 15),
        (10_000, 15),
        (9_999, 5),
        (1, 5),
        (0.5, 0),
        (0, 0),
        ("a lot", 0),
        (True, 0),
    ],
)
def test_budget_bands_round_money_down(default_rubric, value, points):
    assert points_for(default_rubric.criterion("budget"), value) == points


@pytest.mark.parametrize(
    ("months", "points"),
    [(0, 20), (3, 20), (3.2, 12), (6, 12), (6.5, 5), (12, 5), (12.01, 0), (99, 0)],
)
def test_timeline_bands_round_months_up(default_rubric, months, points):
    assert points_for(default_rubric.criterion("timeline"), months) == points


@pytest.mark.parametrize(
    ("employees", "points"),
    [(5000, 15), (200, 15), (199.9, 10), (50, 10), (49, 5), (10, 5), (9, 0), (3, 0)],
)
def test_company_size_bands_round_headcount_down(default_rubric, employees, points):
    assert points_for(default_rubric.criterion("company_size"), employees) == points


@pytest.mark.parametrize(
    ("choice", "points"),
    [("decision_maker", 20), ("influencer", 10), ("end_user", 4), ("unknown", 0), ("ceo", 0)],
)
def test_authority_points_per_choice(default_rubric, choice, points):
    assert points_for(default_rubric.criterion("authority"), choice) == points


def test_yes_no_needs_a_real_boolean(default_rubric):
    need = default_rubric.criterion("need")
    assert [points_for(need, value) for value in (True, False, "yes", None)] == [20, 0, 0, 0]


def test_a_full_lead_scores_100_and_is_hot(default_rubric):
    extraction = answers(
        budget=80_000, authority="decision_maker", need=True, timeline=2, company_size=1400
    )
    result = score(default_rubric, extraction, qualifier="test", lead_id="L1")
    assert (result.score, result.tier, result.knockout, result.missing) == (100, "hot", None, [])
    assert [c.points for c in result.criteria] == [25, 20, 20, 20, 15]
    assert result.criteria[0].evidence == "said 80000"
    assert result.id == "L1"
    assert result.rubric.name == "default"
    assert result.rubric.version == default_rubric.version


@pytest.mark.parametrize(
    ("values", "expected_score", "tier"),
    [
        ({"budget": 50_000, "authority": "decision_maker", "need": True, "timeline": 9}, 70, "hot"),
        ({"budget": 50_000, "authority": "influencer", "need": True, "timeline": 9}, 60, "warm"),
        ({"budget": 10_000, "authority": "end_user", "timeline": 6}, 31, "cold"),
        ({"budget": 10_000, "need": True, "timeline": 12}, 40, "warm"),
        ({"company_size": 300, "need": True, "timeline": 12}, 40, "warm"),
        ({"authority": "influencer", "need": True, "company_size": 20}, 35, "cold"),
    ],
)
def test_tiers_follow_the_thresholds(default_rubric, values, expected_score, tier):
    result = score(default_rubric, answers(**values), qualifier="test")
    assert (result.score, result.tier) == (expected_score, tier)


def test_missing_lists_unanswered_required_criteria_with_their_questions(default_rubric):
    extraction = answers(need=True, company_size=400)
    extraction.questions["timeline"] = "When would you like this live?"
    result = score(default_rubric, extraction, qualifier="test")
    assert result.missing == ["budget", "authority", "timeline"]
    assert result.questions == {
        "budget": "What budget is set aside for this?",
        "authority": "What is your role, and who signs off on this purchase?",
        "timeline": "When would you like this live?",
    }


def test_an_answer_worth_zero_points_is_not_missing(default_rubric):
    result = score(default_rubric, answers(budget=0, authority="unknown"), qualifier="t")
    assert result.missing == ["timeline"]


def test_a_knockout_disqualifies_whatever_the_score(default_rubric):
    extraction = answers(
        budget=80_000, authority="decision_maker", need=True, timeline=1, company_size=900
    )
    extraction.knockouts.append(KnockoutHit(id="student", evidence="my thesis"))
    result = score(default_rubric, extraction, qualifier="test")
    assert (result.tier, result.knockout, result.knockout_evidence) == (
        "disqualified",
        "student",
        "my thesis",
    )
    assert result.score == 100


def test_a_knockout_the_rubric_does_not_define_is_ignored(default_rubric):
    extraction = answers(budget=80_000)
    extraction.knockouts.append(KnockoutHit(id="made_up", evidence="x"))
    result = score(default_rubric, extraction, qualifier="test")
    assert (result.tier, result.knockout) == ("cold", None)


def test_scores_are_normalised_when_points_do_not_sum_to_100():
    rubric = parse_rubric(
        """
name: two
criteria:
  - {id: need, label: Need, question: 'Why?', type: yes_no, points: {yes: 3, no: 0}}
  - id: seats
    label: Seats
    question: How many seats?
    type: number
    bands: [{min: 10, points: 5}, {max: 9, points: 1}]
tiers: [{id: good, min_score: 50}, {id: meh, min_score: 0}]
"""
    )
    assert rubric.max_points == 8
    cases = {(True, 12): 100, (True, 2): 50, (False, 12): 62, (False, 2): 12, (False, None): 0}
    for (need, seats), expected in cases.items():
        values = {"need": need} if seats is None else {"need": need, "seats": seats}
        result = score(rubric, answers(**values), qualifier="test")
        assert result.score == expected, (need, seats)
        assert result.tier == ("good" if expected >= 50 else "meh")


def test_text_criteria_earn_points_when_answered():
    rubric = parse_rubric(
        """
name: text
criteria:
  - {id: use_case, label: Use case, question: 'What for?', type: text, points: {answered: 10}}
tiers: [{id: any, min_score: 0}]
"""
    )
    assert score(rubric, answers(use_case="invoicing"), qualifier="t").score == 100
    assert score(rubric, answers(use_case="  "), qualifier="t").score == 0
