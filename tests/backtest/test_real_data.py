"""The shipped example rubrics on real labelled data (the full runs: benchmarks/).

UCI Bank Marketing's 10 % sample ships in tests/data/ (CC BY 4.0), so that test always runs;
X Education's leads have no licence to ship and are used only where they are present."""

from __future__ import annotations

import json

from backtest_helpers import REPO_ROOT

from bot.cli import main

SLICE_ROWS = 3000
BANK_SAMPLE = REPO_ROOT / "tests" / "data" / "uci-bank-marketing" / "bank.csv"


def backtest(capsys, rubric: str, data, label: str) -> dict:
    rubric_path = REPO_ROOT / "rubrics" / "examples" / rubric
    args = ["backtest", "--rubric", str(rubric_path), "--data", str(data), "--label", label]
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_xeducation_rubric_ranks_real_leads_well(capsys, tmp_path, dataset):
    lines = dataset("x-education-leads", "Leads.csv").read_bytes().splitlines(keepends=True)
    data = tmp_path / "leads-slice.csv"
    data.write_bytes(b"".join(lines[: SLICE_ROWS + 1]))
    report = backtest(capsys, "xeducation.yaml", data, "Converted")
    assert report["rows"] == SLICE_ROWS
    assert report["auc"] > 0.82
    assert report["top_decile_lift"] > 2.0
    hot = report["tiers"]["hot"]
    assert hot["rate"] > 2 * report["positives"] / report["rows"]


def test_bank_rubric_ranks_real_bank_clients_well(capsys):
    report = backtest(capsys, "bank.yaml", BANK_SAMPLE, "y")
    assert (report["rows"], report["positives"]) == (4521, 521)
    assert report["auc"] > 0.70
    assert report["top_decile_lift"] > 2.5
    base_rate = report["positives"] / report["rows"]
    assert report["tiers"]["hot"]["rate"] > 3 * base_rate
    assert report["tiers"]["cold"]["rate"] < 0.6 * base_rate
