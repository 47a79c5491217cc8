"""`leadbot qualify` on a bulk file, as a user runs it: several worker processes give the
same output in the same order as one; the progress bar is for terminals only."""

from __future__ import annotations

import io
import json

from fakes.store_probe import StoreProbe

from bot.cli.common import ProgressBar

SIZES = ["a team of 35", "1,400 employees", "about 120 people", "a 3-person studio"]


def bulk_file(path, count: int):
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            text = f"CFO at Globex, {SIZES[n % 4]}, budget ${n + 1},000, decide in {n % 12} months"
            out.write(json.dumps({"id": f"lead-{n}", "text": text}) + "\n")
    return path


def test_workers_give_the_output_of_one_process_in_input_order(leadbot, tmp_path):
    leads = str(bulk_file(tmp_path / "leads.jsonl", 2500))
    one = leadbot("qualify", leads, "--format", "json", "--no-store", "--workers", "1")
    two = leadbot("qualify", leads, "--format", "json", "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert two.stdout == one.stdout
    assert [json.loads(line)["id"] for line in two.stdout.splitlines()] == [
        f"lead-{n}" for n in range(2500)
    ]
    assert two.stderr == ""  # not a terminal: no progress bar
    stored = StoreProbe.from_url(f"sqlite:///{tmp_path / 'leadbot.db'}")
    assert stored.count_qualifications() == 2500
    stored.engine.dispose()


def test_workers_must_be_a_positive_number(leadbot, tmp_path):
    leads = str(bulk_file(tmp_path / "leads.jsonl", 1))
    result = leadbot("qualify", leads, "--no-store", "--workers", "0")
    assert result.returncode == 2
    assert "--workers: expected a whole number of at least 1, got '0'" in result.stderr


def test_the_progress_bar_shows_rate_and_time_left_and_clears_for_other_output():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = ProgressBar("qualifying", terminal, min_interval=0)
    bar(1000, 4000)
    assert "/s, " in terminal.getvalue() and " left 1,000/4,000" in terminal.getvalue()
    bar.clear()
    assert terminal.getvalue().endswith("\r")
    bar(4000, 4000)
    assert " taken 4,000/4,000\n" in terminal.getvalue()
