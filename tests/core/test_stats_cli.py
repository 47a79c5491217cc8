"""`leadbot stats` prints the funnel and model spend from the configured database."""

from __future__ import annotations

import json

from fakes.store_probe import StoreProbe

from bot.cli import main
from qualifiers.models import Lead, Qualification, RubricRef, Usage


def seed(url: str) -> None:
    repo = StoreProbe.from_url(url)
    usage = Usage(model="openai:gpt-4o-mini", input_tokens=1200, output_tokens=300, cost_usd=0.5)
    for text, tier, source in (("a", "hot", "slack"), ("b", "cold", "cli")):
        stored, _ = repo.add_lead(Lead(text=text, source=source, submitted_by="UMARK"))
        repo.add_qualification(
            stored.id,
            Qualification(
                score=80,
                tier=tier,
                rubric=RubricRef(name="default", version="v1"),
                qualifier="llm",
                usage=usage,
            ),
        )
        if tier == "hot":
            repo.claim(stored.id, "UREP")
    repo.engine.dispose()


def test_json_output_has_both_windows_and_model_totals(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    seed(url)
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["stats", "--format", "json"]) == 0

    stats = json.loads(capsys.readouterr().out)
    week, month = stats["windows"]
    assert (week["days"], month["days"]) == (7, 30)
    assert week["leads"] == 2
    assert week["tiers"] == {"hot": 1, "cold": 1}
    assert week["claimed"] == 1
    assert week["claimed_share"] == 0.5
    assert week["input_tokens"] == 2400
    assert week["cost_usd"] == 1.0
    assert {s["key"] for s in week["by_source"]} == {"slack", "cli"}


def test_text_output_for_one_window(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    seed(url)
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["stats", "--days", "3"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Last 3 days")
    assert "Last 30 days" not in out
    assert "hot 1, cold 1 | claimed 1/2 (50%)" in out
    assert "llm (openai:gpt-4o-mini): 2 qualifications, 2,400 input / 600 output tokens" in out
    assert "$1.0000" in out


def test_unreadable_database_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("LEADBOT_DATABASE_URL", "sqlite:////nonexistent-dir/leadbot.db")

    assert main(["stats"]) == 2

    err = capsys.readouterr().err
    assert "cannot read the database" in err
    assert "Traceback" not in err
