"""`leadbot qualify FILE...`: qualify leads from files or stdin and print the results.

Leads are stored with their qualifications, each new one once and in its final status (the
same content is stored once; each run adds a qualification row), unless `--no-store` asks for
a dry run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime

from bot.bootstrap import build_qualifier, display_url, open_database
from bot.cli.common import ProgressBar, load_rubric_for_cli
from bot.intake.files import INPUT_FORMATS, LeadEntry, read_leads
from bot.render.outcomes import tally_text, write_outcomes
from bot.services.bulk import Outcome, qualify_entries
from bot.settings import Settings
from bot.store.unit_of_work import UnitOfWork

OUTPUT_FORMATS = ("text", "json", "blocks")
PROGRESS_MIN_ROWS = 1000  # shorter runs finish before a bar would tell anything


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "qualify",
        help="qualify leads from .txt, .jsonl or .csv files (or - for stdin)",
        description="Qualify each lead against the rubric and print the results in input "
        "order. Leads are stored in LEADBOT_DATABASE_URL (once per content; every run "
        "adds a qualification). Exit code 1 when some rows could not be read, 2 when the "
        "input or rubric is unusable.",
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help=".txt (leads separated by a line '---'), .jsonl or .csv; '-' reads stdin",
    )
    parser.add_argument("--rubric", help="rubric YAML (default: LEADBOT_RUBRIC or the bundled one)")
    parser.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="text (as a rep reads it), json (JSON Lines) or blocks (Slack Block Kit)",
    )
    parser.add_argument(
        "--model", help="qualifier for this run: offline, or e.g. openai:gpt-4o-mini"
    )
    parser.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="format of stdin or of files without a known suffix (default: sniffed)",
    )
    parser.add_argument("--text-column", help="CSV column holding the lead's free text")
    parser.add_argument(
        "--as-of",
        type=arrival_date,
        metavar="YYYY-MM-DD",
        help="the day these leads arrived, for calendar timelines ('by end of May'); rows "
        "with their own received_at/date column keep theirs (default: today)",
    )
    parser.add_argument(
        "--no-store", action="store_true", help="dry run: store neither leads nor results"
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes for offline qualification (default: the CPU count, here "
        f"{os.cpu_count() or 1}); output stays in input order. Model runs use "
        "LEADBOT_MODEL_CONCURRENCY threads instead",
    )
    parser.set_defaults(handler=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def run(args, settings: Settings) -> int:
    if args.model:
        settings = settings.model_copy(update={"model": args.model})
    rubric = load_rubric_for_cli(args.rubric or settings.rubric_path)
    entries = read_leads(args.files, input_format=args.input_format, text_column=args.text_column)
    if args.as_of is not None:
        entries = [arrived_on(entry, args.as_of) for entry in entries]
    gc.freeze()  # the input stays until the end: the collector need not walk it again and again
    database = None if args.no_store else open_database(settings.database_url)
    qualifier = build_qualifier(settings, database)
    uow = UnitOfWork(database) if database is not None else None
    progress = ProgressBar("qualifying") if len(entries) >= PROGRESS_MIN_ROWS else None

    def write(batch: list[Outcome]) -> None:
        if progress is not None:
            progress.clear()  # the bar and the results may share a terminal
        write_outcomes(batch, args.format, rubric, sys.stdout, settings.sales_channel)
        sys.stdout.flush()

    outcomes = qualify_entries(
        entries, rubric, qualifier, uow, workers=args.workers, progress=progress, emit=write
    )
    failed = [outcome.entry.error for outcome in outcomes if outcome.entry.error]
    for error in failed:
        print(f"leadbot: {error}", file=sys.stderr)
    if args.format == "text":
        print(tally_text(outcomes, rubric))
        if database is not None:
            print(f"Stored in {display_url(settings.database_url)} (--no-store for a dry run)")
    if failed:
        print(f"leadbot: {len(failed)} of {len(outcomes)} rows failed", file=sys.stderr)
        return 1
    return 0


def arrival_date(value: str) -> datetime:
    """`--as-of`: a calendar day, as midnight UTC."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def arrived_on(entry: LeadEntry, day: datetime) -> LeadEntry:
    """The entry's lead dated `day`, unless the row carries its own arrival date."""
    if entry.lead is None or entry.lead.received_at is not None:
        return entry
    return replace(entry, lead=entry.lead.model_copy(update={"received_at": day}))
