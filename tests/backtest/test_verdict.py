"""The one-line verdict of a back-test, on small hand-checkable reports."""

from __future__ import annotations

import pytest

from qualifiers.backtest import ScoredLead, build_report
from qualifiers.rubric import parse_rubric
from qualifiers.verdict import mover_lines, verdict

RUBRIC = """
name: {name}
criteria:
  - id: fit
    label: Fit
    question: Is it a fit?
    type: yes_no
    points: {{yes: 10}}
tiers:
  - {{id: hot, min_score: 70}}
  - {{id: warm, min_score: 40}}
  - {{id: cold, min_score: 0}}
"""

CURRENT = parse_rubric(RUBRIC.format(name="current"))
PROPOSED = parse_rubric(RUBRIC.format(name="proposed"))
TIER_FOR = {"hot": 80, "warm": 50, "cold": 10}


def leads(*tiers: str) -> list[ScoredLead]:
    return [ScoredLead(TIER_FOR[tier], tier, (None,)) for tier in tiers]


LABELS = [True, True, False, False, False, True]
GOOD = leads("hot", "hot", "cold", "cold", "warm", "warm")  # converted leads on top
POOR = leads("cold", "warm", "hot", "warm", "cold", "warm")


@pytest.mark.parametrize(
    ("primary", "against", "better", "start", "moves"),
    [
        (GOOD, POOR, "proposed", "proposed ranks leads better than current", (5, 3, 2)),
        (POOR, GOOD, "current", "current ranks leads better than proposed", (5, 2, 3)),
        (GOOD, GOOD, None, "proposed and current rank leads about the same", (0, 0, 0)),
    ],
)
def test_comparison_names_the_better_rubric_the_gain_and_the_moves(
    primary, against, better, start, moves
):
    report = build_report(PROPOSED, primary, LABELS, against=(CURRENT, against))
    result = verdict(report)
    assert result.better == better
    assert result.text.startswith(start)
    assert (result.changed_tier, result.moved_up, result.moved_down) == moves
    gain = report.primary.auc - report.against.auc
    assert result.auc_gain == pytest.approx(gain)
    assert f"({gain:+.3f})" in result.text
    assert f"{moves[0]:,} of 6 leads" in result.text
    assert "\n" not in result.text


def test_comparison_says_how_the_worked_tiers_change_for_reps():
    report = build_report(PROPOSED, GOOD, LABELS, against=(CURRENT, POOR))
    result = verdict(report)
    # hot+warm: GOOD holds 4 leads with all 3 conversions; POOR holds 4 with 2 of them
    assert (result.worked.leads, result.worked.converted) == (4, 3)
    assert (result.against_worked.leads, result.against_worked.converted) == (4, 2)
    assert "hot+warm would hold 4 leads instead of 4 (+0)" in result.text
    assert "catching 100.0% of conversions instead of 66.7%" in result.text


def test_a_single_rubric_gets_its_auc_best_tier_and_workload():
    report = build_report(CURRENT, GOOD, LABELS)
    result = verdict(report)
    assert result.better is None and result.auc_gain is None
    assert result.text.startswith(f"current: ROC AUC {report.primary.auc:.3f}")
    assert "hot leads convert at 100.0% against 50.0% overall" in result.text
    assert "hot+warm holds 4 of 6 leads (66.7%), catching 100.0% of conversions" in result.text


def test_up_and_down_are_not_guessed_when_the_tiers_differ():
    other = parse_rubric(
        RUBRIC.format(name="two-tier").replace("  - {id: warm, min_score: 40}\n", "")
    )
    against = [ScoredLead(10, "cold", (None,))] * 6
    report = build_report(PROPOSED, GOOD, LABELS, against=(other, against))
    result = verdict(report)
    assert result.changed_tier == 4
    assert (result.moved_up, result.moved_down) == (0, 0)
    assert " up, " not in result.text


def test_movers_are_named_by_their_lead_id():
    ids = ["crm-1", "crm-2", "crm-3", "crm-4", "crm-5", "crm-6"]
    report = build_report(PROPOSED, GOOD, LABELS, against=(CURRENT, POOR), lead_ids=ids)
    assert mover_lines(report, limit=2) == [
        "crm-1: cold -> hot (converted)",
        "crm-2: warm -> hot (converted)",
    ]
