"""What a manager reads from `leadbot backtest` and `leadbot rubric suggest`: the verdict first,
leads named by their CRM id, a suggested rubric with its own name and every change listed."""

from __future__ import annotations

import json

import pytest
from backtest_helpers import history_rows, write_csv

from bot.cli import main
from qualifiers.rubric import load_rubric


@pytest.fixture
def crm_csv(tmp_path):
    """The generated history as a CRM export: ids in 'Record ID', no 'id' column."""
    rows = [
        {"Record ID": f"HS-{1000 + i}", **{k: v for k, v in row.items() if k != "id"}}
        for i, row in enumerate(history_rows(600))
    ]
    return write_csv(tmp_path / "crm.csv", rows)


def backtest(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["backtest", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_report_opens_with_the_verdict_and_names_movers_by_crm_id(
    capsys, crm_csv, good_rubric, bad_rubric
):
    code, out, _ = backtest(
        capsys,
        *("--rubric", str(good_rubric), "--against", str(bad_rubric)),
        *("--data", str(crm_csv), "--label", "Converted", "--id-column", "record id"),
    )
    assert code == 0
    first, second = out.splitlines()[:2]
    assert first.startswith("plans ranks leads better than plans-backwards: ROC AUC ")
    assert "For reps: " in first and " change tier (" in first
    assert second.startswith(f"Back-test on {crm_csv}: 600 leads")
    movers = out.split("The first of them:\n")[1].splitlines()
    assert movers and all(line.startswith("  HS-1") for line in movers)


def test_without_id_column_leads_are_named_where_they_are(capsys, crm_csv, good_rubric, bad_rubric):
    _, out, _ = backtest(
        capsys,
        *("--rubric", str(good_rubric), "--against", str(bad_rubric)),
        *("--data", str(crm_csv), "--label", "Converted"),
    )
    movers = out.split("The first of them:\n")[1].splitlines()
    assert all(line.startswith(f"  {crm_csv}:") for line in movers)


def test_the_id_column_is_not_scored(capsys, crm_csv, good_rubric):
    args = ["--rubric", str(good_rubric), "--data", str(crm_csv), "--label", "Converted"]
    _, plain, _ = backtest(capsys, *args, "--format", "json")
    _, named, _ = backtest(capsys, *args, "--id-column", "Record ID", "--format", "json")
    assert json.loads(plain) == json.loads(named)


def test_json_keeps_its_keys_and_adds_the_verdict(capsys, crm_csv, good_rubric, bad_rubric):
    _, out, _ = backtest(
        capsys,
        *("--rubric", str(good_rubric), "--against", str(bad_rubric), "--format", "json"),
        *("--data", str(crm_csv), "--label", "Converted"),
    )
    data = json.loads(out)
    old_keys = {"rows", "positives", "auc", "tiers", "precision", "recall", "top_decile_lift"}
    assert old_keys | {"against", "changed_tier", "verdict"} <= set(data)
    assert data["verdict"]["better"] == "plans"
    assert data["verdict"]["auc_gain"] == pytest.approx(data["auc"] - data["against"]["auc"])
    assert data["verdict"]["changed_tier"] == sum(data["changed_tier"].values())


def test_a_missing_id_column_is_a_clear_error(capsys, crm_csv, good_rubric):
    code, _, err = backtest(
        capsys,
        *("--rubric", str(good_rubric), "--data", str(crm_csv), "--label", "Converted"),
        *("--id-column", "Deal ID"),
    )
    assert code == 2
    assert "--id-column: no column 'Deal ID'; the columns are: Record ID, Plan" in err
    assert "Traceback" not in err


def suggest(capsys, tmp_path, rubric, data, *extra: str) -> tuple[str, object]:
    out = tmp_path / "suggested.yaml"
    args = ["--rubric", str(rubric), "--data", str(data), "--label", "Converted"]
    assert main(["rubric", "suggest", *args, "--out", str(out), *extra]) == 0
    return capsys.readouterr().out, out


def test_suggested_rubric_has_its_own_name_and_every_point_change_is_listed(
    capsys, tmp_path, history_csv, bad_rubric
):
    text, out = suggest(capsys, tmp_path, bad_rubric, history_csv)
    suggested = load_rubric(out)
    assert suggested.name == "plans-backwards-suggested"
    assert "Suggested rubric: plans-backwards-suggested (from plans-backwards)." in text
    changes = text.split("Point changes (")[1].split("\n\nPoints (old -> new):")[0]
    listed = [line.strip() for line in changes.splitlines()[1:] if line.startswith("  ")]
    assert listed, "expected the changed answers"
    assert any(line.startswith("plan.enterprise: 0 -> ") for line in listed)
    assert all(" -> " in line and line.endswith(")") for line in listed)


@pytest.mark.parametrize(
    ("extra", "name"),
    [(("--name", "plans 2027"), "plans 2027"), (("--name", "q3: trial"), "q3: trial")],
)
def test_name_flag_names_the_suggested_rubric(
    capsys, tmp_path, history_csv, bad_rubric, extra, name
):
    _, out = suggest(capsys, tmp_path, bad_rubric, history_csv, *extra)
    assert load_rubric(out).name == name


def test_json_lists_changed_points_bands_and_the_names(capsys, tmp_path, history_csv, bad_rubric):
    text, _ = suggest(capsys, tmp_path, bad_rubric, history_csv, "--format", "json")
    data = json.loads(text)
    assert data["name"] == {"old": "plans-backwards", "new": "plans-backwards-suggested"}
    assert data["changed_points"] and all(p["old"] != p["new"] for p in data["changed_points"])
    assert {"points", "thresholds", "folds", "suggested_cv_auc", "bands"} <= set(data)


def test_keep_bands_keeps_every_band_edge(capsys, tmp_path, history_csv, bad_rubric):
    _, out = suggest(capsys, tmp_path, bad_rubric, history_csv, "--keep-bands")
    seats = load_rubric(out).criterion("seats").bands
    assert [(b.min, b.max) for b in seats] == [(None, 9), (10, 99), (100, None)]
