"""`leadbot outcomes import`, `backtest --stored`, `rubric suggest --stored` and `export`
against a real SQLite database."""

from __future__ import annotations

from fakes.store_probe import StoreProbe

from bot.cli import main
from qualifiers.models import Lead


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
