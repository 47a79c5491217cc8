"""`leadbot backtest` end to end: real CSV reading, the real offline extractor, real scoring."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from backtest_helpers import history_rows, write_csv

from bot.cli import main
from bot.cli.common import ProgressBar
from qualifiers.backtest import roc_auc


def run_json(capsys, *args: str) -> dict:
    assert main(["backtest", *args, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "expected exactly one JSON object"
    return json.loads(out)


def expected_score(row: dict[str, str]) -> int:
    """GOOD_RUBRIC by hand: 100 points in all, so points are the score."""
    plan = {"enterprise": 50, "team": 20, "free": 0}[row["Plan"]]
    seats = {"3": 0, "40": 15, "400": 30}[row["Seats"]]
    return plan + seats + (20 if row["Demo"] == "yes" else 0)


def test_json_metrics_match_the_rubric_applied_by_hand(capsys, history_csv, good_rubric):
    data = run_json(
        capsys, "--rubric", str(good_rubric), "--data", str(history_csv), "--label", "Converted"
    )
    rows = history_rows(600)
    labels = [row["Converted"] == "1" for row in rows]
    scores = [expected_score(row) for row in rows]
    assert data["rows"] == 600
    assert data["positives"] == sum(labels)
    assert data["auc"] == pytest.approx(roc_auc(scores, labels))
    assert data["auc"] > 0.7
    tiers = {"hot": 70, "warm": 40, "cold": 0}
    for tier, stats in data["tiers"].items():
        members = [
            label
            for score, label in zip(scores, labels, strict=True)
            if tier != "disqualified" and next(t for t, m in tiers.items() if score >= m) == tier
        ]
        assert (stats["leads"], stats["converted"]) == (len(members), sum(members)), tier
    worked = [s >= 40 for s in scores]
    hits = sum(w and y for w, y in zip(worked, labels, strict=True))
    assert data["precision"] == pytest.approx(hits / sum(worked))
    assert data["recall"] == pytest.approx(hits / sum(labels))
    assert data["top_decile_lift"] > 1.5
    assert "against" not in data


def test_against_reports_both_rubrics_and_the_leads_that_move(
    capsys, history_csv, good_rubric, bad_rubric
):
    data = run_json(
        capsys,
        *("--rubric", str(good_rubric), "--against", str(bad_rubric)),
        *("--data", str(history_csv), "--label", "Converted"),
    )
    assert data["auc"] > 0.7 > 0.4 > data["against"]["auc"]
    assert data["against"]["rows"] == data["rows"]
    assert set(data["against"]["tiers"]) == set(data["tiers"])
    moved = sum(data["changed_tier"].values())
    assert 0 < moved <= data["rows"]
    assert all(" -> " in change for change in data["changed_tier"])


def test_text_output_and_self_contained_html(
    capsys, tmp_path, history_csv, good_rubric, bad_rubric
):
    html = tmp_path / "report.html"
    code = main(
        [
            "backtest",
            *("--rubric", str(good_rubric), "--against", str(bad_rubric)),
            *("--data", str(history_csv), "--label", "converted", "--html", str(html)),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "ROC AUC" in out and "plans-backwards" in out and "Leads that change tier" in out
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") == 5  # tiers x2, ROC, distribution x2
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "https://" not in page
    assert page.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http://") == 0
    assert "Leads that change tier" in page


def test_semicolon_csv_with_custom_positive_value_and_trailing_empty_column(
    capsys, tmp_path, good_rubric
):
    rows = history_rows(200)
    for row in rows:
        row["Converted"] = "Y" if row["Converted"] == "1" else "N"
        row[""] = ""
    path = write_csv(tmp_path / "semicolons.csv", rows, delimiter=";")
    args = ("--rubric", str(good_rubric), "--data", str(path), "--label", "Converted")
    assert main(["backtest", *args, "--format", "json"]) == 2
    assert "--positive" in capsys.readouterr().err
    data = run_json(capsys, *args, "--positive", "y")
    assert data["rows"] == 200
    assert data["positives"] == sum(row["Converted"] == "Y" for row in rows)


@pytest.mark.parametrize(
    ("content", "label", "expected"),
    [
        (None, "Converted", "no such file"),
        (b"", "Converted", "empty"),
        (b"\x00\x01\x02PK\x03\x04binary", "Converted", "binary"),
        (b"Plan,Seats,Converted\nteam,3,1\n", "Outcome", "no column 'Outcome'"),
        (b"Plan,Seats,Converted\n", "Converted", "no row after the header"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(
    capsys, tmp_path, good_rubric, content, label, expected
):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    code = main(["backtest", "--rubric", str(good_rubric), "--data", str(path), "--label", label])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_a_broken_rubric_is_reported_with_its_line(capsys, tmp_path, history_csv):
    rubric = tmp_path / "broken.yaml"
    rubric.write_text("name: x\ncriteria: []\ntiers: []\n", encoding="utf-8")
    code = main(
        ["backtest", "--rubric", str(rubric), "--data", str(history_csv), "--label", "Converted"]
    )
    assert code == 2
    assert "broken.yaml:2" in capsys.readouterr().err


def test_no_traceback_from_the_installed_command(tmp_path, good_rubric):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    script = Path(sys.executable).with_name("leadbot")
    result = subprocess.run(
        [
            str(script),
            "backtest",
            "--rubric",
            str(good_rubric),
            "--data",
            str(junk),
            "--label",
            "y",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "junk.csv" in result.stderr and "Traceback" not in result.stderr


def test_model_run_refuses_without_a_terminal_unless_told_yes(
    capsys, monkeypatch, history_csv, good_rubric
):
    monkeypatch.setenv("LEADBOT_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    args = ["--rubric", str(good_rubric), "--data", str(history_csv), "--label", "Converted"]
    assert main(["backtest", *args, "--model"]) == 2
    err = capsys.readouterr().err
    assert "600 calls to openai:gpt-4o-mini" in err and "$" in err and "--yes" in err


def test_model_run_with_yes_calls_the_model_once_per_lead(
    capsys, monkeypatch, tmp_path, good_rubric, fake_openai
):
    path = write_csv(tmp_path / "few.csv", history_rows(12))
    monkeypatch.setenv("LEADBOT_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url + "/v1")
    monkeypatch.setenv("LEADBOT_MODEL_MAX_RETRIES", "0")
    data = run_json(
        capsys,
        *("--rubric", str(good_rubric), "--data", str(path), "--label", "Converted"),
        *("--model", "--yes"),
    )
    # The fake answers nothing usable, so every lead falls back to the offline rules.
    assert data["rows"] == 12
    completions = [r for r in fake_openai.requests if r.path.endswith("/chat/completions")]
    assert len(completions) == 12


def test_progress_bar_draws_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar("qualifying", stream, min_interval=0)
        bar(512, 1024)
        bar(1024, 1024)
    assert "512/1,024" in terminal.getvalue()
    assert terminal.getvalue().endswith("1,024/1,024\n")
    assert pipe.getvalue() == ""


def test_a_text_column_goes_through_the_extractor(capsys, tmp_path):
    rubric = tmp_path / "demo.yaml"
    rubric.write_text(
        """\
name: demo-asks
criteria:
  - id: wants_demo
    label: Wants a demo
    question: Did they ask for a demo?
    type: yes_no
    points: {yes: 10}
    hints: [{pattern: '\\bdemo\\b', value: true}]
tiers:
  - {id: hot, min_score: 50}
  - {id: cold, min_score: 0}
""",
        encoding="utf-8",
    )
    rows = [
        {"Message": "Can we book a demo next week?", "Won": "yes"},
        {"Message": "Please send a demo link", "Won": "yes"},
        {"Message": "Unsubscribe me", "Won": "no"},
        {"Message": "Just browsing the pricing page", "Won": "no"},
    ]
    path = write_csv(tmp_path / "messages.csv", rows)
    args = ("--rubric", str(rubric), "--data", str(path), "--label", "won")
    data = run_json(capsys, *args, "--text-column", "Message")
    assert data["auc"] == 1.0
    assert data["tiers"]["hot"] == {"leads": 2, "converted": 2, "rate": 1.0}
