"""Back-test metrics against brute-force definitions on small hand-checkable data."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from backtest_helpers import BAD_RUBRIC, GOOD_RUBRIC, history_rows

from qualifiers.backtest import (
    ScoredLead,
    build_report,
    evaluate,
    ranking_keys,
    roc_auc,
    roc_curve,
    run_backtest,
    top_fraction_lift,
)
from qualifiers.models import Lead
from qualifiers.rubric import parse_rubric

TIERS_ONLY_RUBRIC = """
name: tiers-only
criteria:
  - id: fit
    label: Fit
    question: Is it a fit?
    type: yes_no
    points: {yes: 10}
tiers:
  - {id: hot, min_score: 70}
  - {id: warm, min_score: 40}
  - {id: cold, min_score: 0}
"""


def pairwise_auc(keys, labels) -> float:
    """The definition: P(positive ranks above negative), ties counting one half."""
    positives = [k for k, y in zip(keys, labels, strict=True) if y]
    negatives = [k for k, y in zip(keys, labels, strict=True) if not y]
    wins = sum(
        1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives)
    )
    return wins / (len(positives) * len(negatives))


def lead(score: int, tier: str) -> ScoredLead:
    return ScoredLead(score=score, tier=tier, values=(None,))


def test_auc_matches_the_pairwise_definition_with_many_ties():
    rng = random.Random(7)
    for _ in range(20):
        keys = [rng.choice([0, 10, 10, 20, 35, 35, 50, 100]) for _ in range(60)]
        labels = [rng.random() < 0.3 for _ in range(60)]
        if any(labels) and not all(labels):
            assert roc_auc(keys, labels) == pytest.approx(pairwise_auc(keys, labels))


def test_auc_extremes_and_undefined_cases():
    assert roc_auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert roc_auc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert roc_auc([5, 5, 5, 5], [False, True, False, True]) == 0.5
    assert roc_auc([1, 2], [True, True]) is None
    assert roc_auc([], []) is None


def test_roc_curve_runs_corner_to_corner_and_its_area_is_the_auc():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 20, 300)
    labels = rng.random(300) < keys / 25
    points = roc_curve(keys, labels)
    assert points[0] == (0.0, 0.0)
    assert points[-1] == (1.0, 1.0)
    xs, ys = zip(*points, strict=True)
    assert list(xs) == sorted(xs) and list(ys) == sorted(ys)
    area = sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in itertools.pairwise(points))
    assert area == pytest.approx(roc_auc(keys, labels))


def test_top_decile_lift_counts_tied_leads_at_the_cut_in_proportion():
    # 100 leads, 20 converted; the 10 best-scored all converted: 100% vs 20% overall -> 5x.
    keys = [90] * 10 + [50] * 90
    labels = [True] * 10 + [True] * 10 + [False] * 80
    assert top_fraction_lift(keys, labels) == pytest.approx(5.0)
    # Everyone tied: the top decile converts at the base rate, whatever the row order.
    assert top_fraction_lift([7] * 50, [i % 5 == 0 for i in range(50)]) == pytest.approx(1.0)
    # 5 at the top (all converted), then 10 tied with 5 converted, filling 5 more slots at 50%.
    keys = [99] * 5 + [60] * 10 + [0] * 85
    labels = [True] * 5 + [True] * 5 + [False] * 5 + [False] * 85
    assert top_fraction_lift(keys, labels) == pytest.approx((7.5 / 10) / 0.10)
    assert top_fraction_lift([1, 2], [False, False]) is None


def test_knocked_out_leads_rank_below_every_score():
    keys = ranking_keys([80, 0, 95], ["hot", "cold", "disqualified"])
    assert list(keys) == [80.0, 0.0, -1.0]


def test_evaluate_counts_tiers_precision_recall_by_hand():
    rubric = parse_rubric(TIERS_ONLY_RUBRIC)
    scored = [
        lead(90, "hot"),  # converted
        lead(80, "hot"),  # lost
        lead(50, "warm"),  # converted
        lead(45, "warm"),  # lost
        lead(20, "cold"),  # converted
        lead(10, "cold"),  # lost
        lead(0, "cold"),  # lost
        lead(95, "disqualified"),  # lost
    ]
    labels = [True, False, True, False, True, False, False, False]
    metrics = evaluate(rubric, scored, labels)
    assert metrics.rows == 8 and metrics.positives == 3
    assert {t: (s.leads, s.converted) for t, s in metrics.tiers.items()} == {
        "hot": (2, 1),
        "warm": (2, 1),
        "cold": (3, 1),
        "disqualified": (1, 0),
    }
    assert metrics.tiers["cold"].rate == pytest.approx(1 / 3)
    assert metrics.qualified_tiers == ["hot", "warm"]
    assert metrics.precision == pytest.approx(2 / 4)
    assert metrics.recall == pytest.approx(2 / 3)
    keys = [90, 80, 50, 45, 20, 10, 0, -1]
    assert metrics.auc == pytest.approx(pairwise_auc(keys, labels))


def test_report_json_shape_and_tier_changes_when_comparing():
    rubric = parse_rubric(TIERS_ONLY_RUBRIC)
    new = [lead(90, "hot"), lead(50, "warm"), lead(10, "cold"), lead(75, "hot")]
    old = [lead(60, "warm"), lead(50, "warm"), lead(45, "warm"), lead(10, "cold")]
    labels = [True, False, False, True]
    report = build_report(rubric, new, labels, against=(rubric, old), lead_ids=list("abcd"))
    data = report.public_dict()
    expected_keys = {"rows", "positives", "auc", "tiers", "precision", "recall", "top_decile_lift"}
    assert expected_keys <= set(data)
    assert expected_keys <= set(data["against"])
    assert set(data["tiers"]["hot"]) == {"leads", "converted", "rate"}
    assert data["changed_tier"] == {"warm -> hot": 1, "warm -> cold": 1, "cold -> hot": 1}
    assert [(c.lead_id, c.from_tier, c.to_tier) for c in report.changes] == [
        ("a", "warm", "hot"),
        ("c", "warm", "cold"),
        ("d", "cold", "hot"),
    ]
    assert "against" not in build_report(rubric, new, labels).public_dict()


def test_run_backtest_takes_leads_and_outcomes_as_the_slack_side_has_them():
    rubric = parse_rubric(GOOD_RUBRIC)
    rows = history_rows(700)
    labelled = [
        (
            Lead(id=row["id"], fields={k: row[k] for k in ("Plan", "Seats", "Demo")}),
            row["Converted"] == "1",
        )
        for row in rows
    ]
    calls: list[tuple[int, int]] = []
    report = run_backtest(
        rubric, labelled, against=parse_rubric(BAD_RUBRIC), progress=lambda *a: calls.append(a)
    )
    assert report.primary.rows == report.against.rows == 700
    assert report.primary.auc > 0.7 > 0.4 > report.against.auc
    assert calls[-1] == (1400, 1400)  # both rubrics, in chunks
    assert len(calls) > 2
    assert all(change.lead_id.startswith("lead-") for change in report.changes)


def test_forked_qualification_gives_the_serial_results_in_order(tmp_path):
    """Run in a fresh interpreter: forking is only used when no other thread is running."""
    script = textwrap.dedent(
        """
        import json
        from backtest_helpers import GOOD_RUBRIC, history_rows
        from qualifiers.backtest import _can_fork, qualify_all
        from qualifiers.extract.offline import OfflineExtractor
        from qualifiers.models import Lead
        from qualifiers.qualifier import Qualifier
        from qualifiers.rubric import parse_rubric

        rubric = parse_rubric(GOOD_RUBRIC)
        leads = [
            Lead(id=row["id"], fields={k: row[k] for k in ("Plan", "Seats", "Demo")})
            for row in history_rows(5000)
        ]
        calls = []
        forked = qualify_all(
            Qualifier(OfflineExtractor()), rubric, leads, lambda *a: calls.append(a), processes=2
        )
        serial = qualify_all(Qualifier(OfflineExtractor()), rubric, leads)
        print(json.dumps({"can_fork": _can_fork(), "same": forked == serial, "calls": calls}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["can_fork"] and outcome["same"]
    assert outcome["calls"] == [[2048, 5000], [4096, 5000], [5000, 5000]]
