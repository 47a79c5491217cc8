"""`backtest --stored` and `rubric suggest --stored`: the team's own leads with recorded
outcomes give the same answers as the same history in a file."""

from __future__ import annotations

import json

import pytest
from backtest_helpers import history_rows, write_csv
from fakes.store_probe import StoreProbe

from bot.cli import main
from bot.domain.lifecycle import Outcome
from qualifiers.models import Lead

ROWS = 300


@pytest.fixture
def stored_history(tmp_path, monkeypatch) -> str:
    """The generated history as stored leads: converted ones won, the others lost or not
    answered; plus leads with no outcome, which are left out."""
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    repo = StoreProbe.from_url(url)
    for n, row in enumerate(history_rows(ROWS)):
        fields = {key: row[key] for key in ("Plan", "Seats", "Demo")}
        lead = Lead(id=row["id"], fields=fields, source="csv")
        stored, _ = repo.add_lead(lead, dedupe_key=row["id"])
        lost = Outcome.LOST if n % 2 else Outcome.NO_RESPONSE
        outcome = Outcome.WON if row["Converted"] == "1" else lost
        repo.record_outcome(stored.id, outcome, "UREP", origin="slack")
    repo.add_lead(Lead(id="open-1", fields={"Plan": "enterprise"}, source="csv"))
    repo.engine.dispose()
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)
    return url


def output(capsys, *args: str) -> dict:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_backtest_stored_matches_the_same_history_from_a_file(
    capsys, tmp_path, stored_history, good_rubric
):
    history = write_csv(tmp_path / "history.csv", history_rows(ROWS))
    rubric = ["--rubric", str(good_rubric), "--format", "json"]

    from_file = output(capsys, "backtest", *rubric, "--data", str(history), "--label", "Converted")
    stored = output(capsys, "backtest", *rubric, "--stored")

    assert stored == from_file
    assert stored["rows"] == ROWS
    assert stored["auc"] > 0.7


def test_rubric_suggest_stored_fits_the_team_history(capsys, tmp_path, stored_history, bad_rubric):
    out = tmp_path / "suggested.yaml"
    args = ["rubric", "suggest", "--rubric", str(bad_rubric), "--stored", "--out", str(out)]

    result = output(capsys, *args, "--format", "json")

    assert result["rows"] == ROWS
    assert result["suggested_cv_auc"] > result["original_cv_auc"] + 0.2
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "past leads in the team's stored leads" in out.read_text()
    assert f"--against {bad_rubric} --stored" in text


def test_stored_without_outcomes_or_with_data_is_a_clear_error(
    capsys, tmp_path, monkeypatch, good_rubric
):
    monkeypatch.setenv("LEADBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["backtest", "--rubric", str(good_rubric), "--stored"]) == 2
    assert "no stored lead has an outcome yet" in capsys.readouterr().err
    assert main(["backtest", "--rubric", str(good_rubric), "--stored", "--label", "x"]) == 2
    assert "--stored: reads the stored leads; drop --data and --label" in capsys.readouterr().err
    assert main(["backtest", "--rubric", str(good_rubric)]) == 2
    assert "expected --data FILE.csv and --label COLUMN, or --stored" in capsys.readouterr().err
