"""`leadbot export`: every stored lead with its latest qualification, answers and evidence,
claim history and outcome, as CSV or JSON lines, to stdout or a file."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.bootstrap import open_database
from bot.errors import UserError
from bot.render.export import csv_chunks, jsonl_lines
from bot.services.export import export_leads
from bot.settings import Settings
from bot.store.unit_of_work import UnitOfWork


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="every lead with its qualification, answers, claims and outcome",
        description="Write the stored leads (oldest first) with their latest qualification, "
        "answers with evidence, claim history and outcome. CSV cells that a spreadsheet would "
        "run as a formula (starting with = + - @, a tab or a carriage return) get a leading "
        "apostrophe.",
    )
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="leads received since")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    leads = export_leads(UnitOfWork(open_database(settings.database_url)), args.since)
    chunks = jsonl_lines(leads) if args.format == "jsonl" else csv_chunks(leads)
    if not args.output:
        sys.stdout.writelines(chunks)
        return 0
    try:
        with Path(args.output).open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
    except OSError as exc:
        raise UserError(f"--output {args.output}: cannot write ({exc.strerror})") from None
    print(f"Exported {len(leads):,} leads to {args.output}", file=sys.stderr)
    return 0


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
