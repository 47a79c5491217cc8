"""The shipped X Education rubric on a slice of the real data (the full runs: benchmarks/)."""

from __future__ import annotations

import json

from backtest_helpers import REPO_ROOT, shared_dataset

from bot.cli import main

SLICE_ROWS = 3000


def test_xeducation_rubric_ranks_real_leads_well(capsys, tmp_path):
    lines = shared_dataset("x-education-leads", "Leads.csv").read_bytes().splitlines(keepends=True)
    data = tmp_path / "leads-slice.csv"
    data.write_bytes(b"".join(lines[: SLICE_ROWS + 1]))
    rubric = REPO_ROOT / "rubrics" / "examples" / "xeducation.yaml"
    args = ["backtest", "--rubric", str(rubric), "--data", str(data), "--label", "Converted"]
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == SLICE_ROWS
    assert report["auc"] > 0.82
    assert report["top_decile_lift"] > 2.0
    hot = report["tiers"]["hot"]
    assert hot["rate"] > 2 * report["positives"] / report["rows"]
