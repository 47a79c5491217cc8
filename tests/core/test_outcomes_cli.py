"""`leadbot outcomes import`, `backtest --stored`, `rubric suggest --stored` and `export`
against a real SQLite database."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from fakes.store_probe import StoreProbe

from bot.cli import main
from bot.domain.lifecycle import Outcome
from bot.render.home import ranking_text
from bot.store.stats import Conversion, rubric_ranking
from qualifiers.models import CriterionResult, Lead, Qualification, RubricRef
from qualifiers.rubric import DEFAULT_RUBRIC_PATH, load_rubric


def test_outcomes_import_command_records_and_exits_1_when_rows_are_left(
    tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    repo = StoreProbe.from_url(url)
    repo.add_lead(Lead(text="Dana", fields={"email": "dana@globex.example"}))
    repo.engine.dispose()
    export = tmp_path / "crm.csv"
    export.write_text("email,outcome,date\ndana@globex.example,won,2026-01-02\nzed@x.io,lost,\n")
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["outcomes", "import", str(export)]) == 1

    captured = capsys.readouterr()
    assert captured.err == f"leadbot: {export}:3: no stored lead 'zed@x.io'\n"
    assert captured.out.startswith("1 of 2 outcomes recorded (1 unmatched, 0 unreadable)")
    assert main(["outcomes", "import", str(tmp_path / "none.csv")]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err


def seed_outcomes(url: str, count: int, version: str = "v1", batch: str = "a") -> None:
    """`count` qualified leads from two sources with outcomes: the hot half mostly won."""
    repo = StoreProbe.from_url(url)
    for n in range(count):
        hot = n % 2 == 0
        stored, _ = repo.add_lead(
            Lead(text=f"lead {batch}{n}", source="slack" if n % 4 < 2 else "webhook")
        )
        repo.add_qualification(
            stored.id,
            Qualification(
                score=80 if hot else 20,
                tier="hot" if hot else "cold",
                rubric=RubricRef(name="default", version=version),
                qualifier="offline",
            ),
        )
        won = (hot and n % 6 != 0) or n == 1
        repo.record_outcome(stored.id, Outcome.WON if won else Outcome.LOST, "U1", origin="slack")
    repo.add_lead(Lead(text=f"no outcome yet {batch}"))
    repo.engine.dispose()


def test_stats_show_conversion_per_tier_and_per_source(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    seed_outcomes(url, 8)  # hot: leads 0, 2, 4, 6 (0 and 6 lost); cold: 1 won, 3, 5, 7 lost
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["stats", "--format", "json", "--days", "7"]) == 0

    [week] = json.loads(capsys.readouterr().out)["windows"]
    assert week["conversion"] == {"outcomes": 8, "won": 3, "rate": 0.375}
    assert week["conversion_by_tier"] == {
        "hot": {"outcomes": 4, "won": 2, "rate": 0.5},
        "cold": {"outcomes": 4, "won": 1, "rate": 0.25},
    }
    by_source = {s["key"]: s["conversion"] for s in week["by_source"]}
    assert by_source == {
        "slack": {"outcomes": 4, "won": 2, "rate": 0.5},  # leads 0, 1 won; 4, 5 lost
        "webhook": {"outcomes": 4, "won": 1, "rate": 0.25},
        "cli": {"outcomes": 0, "won": 0, "rate": None},
    }
    assert main(["stats", "--days", "7"]) == 0
    assert "won 3/8 (38%): hot 2/4 (50%), cold 1/4 (25%)" in capsys.readouterr().out


def test_the_rubric_in_force_is_ranked_once_enough_outcomes_exist(tmp_path):
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    rubric = load_rubric(DEFAULT_RUBRIC_PATH)
    seed_outcomes(url, 12, version=rubric.version)
    database = StoreProbe.from_url(url)

    early = rubric_ranking(database, rubric)
    assert (early.outcomes, early.auc, early.tiers) == (12, None, None)
    assert "a verdict needs 20" in ranking_text(early)

    seed_outcomes(url, 12, version=rubric.version, batch="b")
    seed_outcomes(url, 30, version="v0", batch="c")  # another rubric's leads do not count
    ranking = rubric_ranking(database, rubric)
    assert (ranking.outcomes, ranking.won) == (24, 10)  # per batch: hot 4 of 6 won, cold 1
    assert ranking.tiers == {
        "hot": Conversion(outcomes=12, won=8, rate=8 / 12),
        "cold": Conversion(outcomes=12, won=2, rate=2 / 12),
    }
    # won-lost pairs: hot won over cold lost 8*10, ties (same score) count half: 8*4 + 2*10
    assert ranking.auc == pytest.approx((80 + 0.5 * (32 + 20)) / (10 * 14))
    assert "ROC AUC 0.76 on 24 leads with an outcome" in ranking_text(ranking)
    database.engine.dispose()


def test_export_has_qualification_evidence_claims_and_outcome_and_no_formulas(
    tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    repo = StoreProbe.from_url(url)
    formula = '=HYPERLINK("http://evil.example","click")'
    stored, _ = repo.add_lead(
        Lead(id="HS-7", text=f"{formula} budget 50k", fields={"name": "@SUM(A1)", "x": "-1"})
    )
    repo.add_qualification(
        stored.id,
        Qualification(
            score=60,
            tier="warm",
            rubric=RubricRef(name="default", version="v9"),
            qualifier="offline",
            criteria=[
                CriterionResult(
                    id="budget", label="Budget", value=50000, points=25, evidence="budget 50k"
                ),
                CriterionResult(id="timeline", label="Timeline"),
            ],
        ),
    )
    repo.claim(stored.id, "UREP1")
    repo.release(stored.id, "UREP1")
    repo.claim(stored.id, "UREP2")
    repo.record_outcome(stored.id, Outcome.WON, None, origin="import", occurred_on=date(2026, 1, 9))
    repo.add_lead(Lead(text="+4412345 call me"))
    repo.engine.dispose()
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["export", "--format", "jsonl"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (first["external_id"], first["tier"], first["score"]) == ("HS-7", "warm", 60)
    assert first["answers"] == [
        {
            "criterion": "budget",
            "label": "Budget",
            "value": 50000,
            "points": 25,
            "evidence": "budget 50k",
            "source": None,
        }
    ]
    assert [(c["event"], c["by"]) for c in first["claims"]] == [
        ("claimed", "UREP1"),
        ("released", "UREP1"),
        ("claimed", "UREP2"),
    ]
    assert first["outcome"]["outcome"] == "won"
    assert first["outcome"]["occurred_on"] == "2026-01-09"
    assert first["text"].startswith(formula)  # JSON is data: kept verbatim
    assert (second["tier"], second["outcome"]) == (None, None)

    out = tmp_path / "leads.csv"
    assert main(["export", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [row["lead_id"] for row in rows] == ["1", "2"]
    assert rows[0]["text"] == f"'{formula} budget 50k"
    assert rows[0]["fields"] == '{"name": "@SUM(A1)", "x": "-1"}'
    assert rows[1]["text"] == "'+4412345 call me"
    assert rows[0]["answers"] == "budget=50000 [budget 50k]"
    assert rows[0]["claim_history"].startswith("claimed by UREP1 at ")
    assert (rows[0]["outcome"], rows[0]["outcome_date"], rows[0]["outcome_by"]) == (
        "won",
        "2026-01-09",
        "import",
    )
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)

    assert main(["export", "--format", "jsonl", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--since", "yesterday"])
    assert exit_info.value.code == 2
    assert "expected a date as YYYY-MM-DD, got 'yesterday'" in capsys.readouterr().err
