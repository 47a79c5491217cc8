"""What the CLI commands share: rubric loading with every problem listed, the labelled-data
options of `backtest` and `rubric suggest`, skipped-row reports and the progress bar."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import UserError
from bot.settings import Settings
from qualifiers.rubric import Rubric, RubricError, load_rubric

if TYPE_CHECKING:  # the labelled-data parts load with the commands that use them
    from bot.intake.labelled import LabelledLeads

STORED_DATA_NAME = "the team's stored leads"

OUTPUT_FORMATS = ("text", "json")
MAX_ROW_ERRORS_SHOWN = 5


def load_rubric_for_cli(path: str | Path) -> Rubric:
    """The rubric at `path`, or a `UserError` listing every problem (file:line: field: what)."""
    try:
        return load_rubric(path)
    except RubricError as exc:
        problems = "\n".join(f"  {issue}" for issue in exc.issues)
        raise UserError(f"{path}: the rubric is not valid:\n{problems}") from None


def add_data_arguments(parser) -> None:
    """The labelled-data options `backtest` and `rubric suggest` share: a file of past
    leads (--data and --label), or the team's own history (--stored)."""
    from bot.intake.labelled import DEFAULT_POSITIVES

    parser.add_argument("--data", metavar="FILE.csv", help="past leads, one a row")
    parser.add_argument("--label", metavar="COLUMN", help="the outcome column of --data")
    parser.add_argument(
        "--stored",
        action="store_true",
        help="instead of --data: the stored leads with a recorded outcome (won = converted)",
    )
    parser.add_argument(
        "--rubric",
        help="rubric YAML (default: the rubric in force, LEADBOT_RUBRIC)",
    )
    parser.add_argument(
        "--positive",
        action="append",
        metavar="VALUE",
        help="label value meaning converted, case-insensitive; repeatable "
        f"(default: {', '.join(DEFAULT_POSITIVES)})",
    )
    parser.add_argument("--text-column", help="CSV column holding the lead's free text")
    parser.add_argument(
        "--id-column",
        metavar="COLUMN",
        help="CSV column holding the lead's CRM id, to name leads by it in the report "
        "(default: an id/lead_id column, else FILE:LINE); never scored",
    )


def labelled_data(args, settings: Settings) -> tuple[LabelledLeads, str]:
    """The past leads and outcomes the command works on, and what to call them."""
    from bot.bootstrap import open_database
    from bot.intake.labelled import read_labelled_leads
    from bot.services.outcomes import stored_labelled_leads

    if args.stored:
        if args.data or args.label:
            raise UserError("--stored: reads the stored leads; drop --data and --label")
        data = stored_labelled_leads(open_database(settings.database_url))
        return data, STORED_DATA_NAME
    if not args.data or not args.label:
        raise UserError("expected --data FILE.csv and --label COLUMN, or --stored")
    data = read_labelled_leads(
        args.data, args.label, args.positive, args.text_column, args.id_column
    )
    return data, args.data


def rubric_path(args, settings: Settings) -> Path:
    return Path(args.rubric) if args.rubric else settings.rubric_path


def report_skipped(skipped: list[str], total: int) -> None:
    for error in skipped[:MAX_ROW_ERRORS_SHOWN]:
        print(f"leadbot: skipped {error}", file=sys.stderr)
    if skipped:
        print(f"leadbot: skipped {len(skipped)} of {total} rows", file=sys.stderr)


class ProgressBar:
    """A one-line progress bar on stderr with rate and time left, drawn only when stderr is
    a terminal (never into piped or redirected output)."""

    def __init__(self, label: str, stream: TextIO | None = None, min_interval: float = 0.1):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.min_interval = min_interval
        self._started = time.monotonic()
        self._last_drawn = 0.0
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last_drawn < self.min_interval:
            return
        self._last_drawn = now
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        timing = (
            f"{rate:,.0f}/s, {_clock(elapsed)} taken"
            if done >= total
            else f"{rate:,.0f}/s, {_clock((total - done) / rate) if rate else '?'} left"
        )
        width = 30
        filled = width * done // max(total, 1)
        line = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {timing} {done:,}/{total:,}"
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        if done >= total:
            self.stream.write("\n")
            self._width = 0
        self.stream.flush()

    def clear(self) -> None:
        """Wipe the bar so other output on the same terminal starts on a clean line; the
        next call draws it again."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
            self._last_drawn = 0.0


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
