"""`leadbot rubric suggest` end to end on a generated history."""

from __future__ import annotations

import json

from bot.cli import main
from qualifiers.rubric import load_rubric


def suggest_cli(*args: str) -> int:
    return main(["rubric", "suggest", *args])


def test_suggest_writes_a_better_rubric_and_leaves_the_original_alone(
    capsys, tmp_path, history_csv, bad_rubric
):
    original = bad_rubric.read_bytes()
    out = tmp_path / "suggested.yaml"
    code = suggest_cli(
        *("--rubric", str(bad_rubric), "--data", str(history_csv), "--label", "Converted"),
        *("--out", str(out)),
    )
    assert code == 0
    assert bad_rubric.read_bytes() == original
    text = capsys.readouterr().out
    assert "cross-validated" in text and "original" in text and "suggested" in text
    assert f"leadbot backtest --rubric {out} --against {bad_rubric}" in text
    suggested = load_rubric(out)
    plan = suggested.criterion("plan").choices
    assert plan["enterprise"].points > plan["team"].points > plan["free"].points
    assert out.read_text(encoding="utf-8").startswith("# Suggested by `leadbot rubric suggest`")


def test_suggest_json_reports_cross_validated_auc_for_both(
    capsys, tmp_path, history_csv, bad_rubric
):
    out = tmp_path / "suggested.yaml"
    suggest_cli(
        *("--rubric", str(bad_rubric), "--data", str(history_csv), "--label", "Converted"),
        *("--out", str(out), "--format", "json"),
    )
    data = json.loads(capsys.readouterr().out)
    assert data["out"] == str(out)
    assert data["original_cv_auc"] < 0.4 < 0.7 < data["suggested_cv_auc"]
    assert len(data["folds"]) == 5
    assert {t["tier"] for t in data["thresholds"]} == {"hot", "warm", "cold"}


def test_suggest_refuses_to_overwrite_the_original(capsys, history_csv, bad_rubric):
    original = bad_rubric.read_bytes()
    code = suggest_cli(
        *("--rubric", str(bad_rubric), "--data", str(history_csv), "--label", "Converted"),
        *("--out", str(bad_rubric)),
    )
    assert code == 2
    assert "is the original rubric" in capsys.readouterr().err
    assert bad_rubric.read_bytes() == original
