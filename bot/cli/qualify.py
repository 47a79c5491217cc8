"""`leadbot qualify FILE...`: qualify leads from files or stdin and print the results.

Leads are stored before they are qualified (the same content is stored once; each run adds a
qualification row), unless `--no-store` asks for a dry run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.blocks import summary_blocks, summary_text
from bot.cli.rubric import load_rubric_for_cli
from bot.errors import UserError
from bot.lead_files import INPUT_FORMATS, LeadEntry, read_leads
from bot.qualifier_factory import build_qualifier
from bot.render_text import render_text
from bot.settings import Settings
from bot.store.repository import Repository
from qualifiers.models import Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import DISQUALIFIED, Rubric

OUTPUT_FORMATS = ("text", "json", "blocks")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "qualify",
        help="qualify leads from .txt, .jsonl or .csv files (or - for stdin)",
        description="Qualify each lead against the rubric and print the results in input "
        "order. Leads are stored in LEADBOT_DATABASE_URL first (once per content; every run "
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
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Outcome:
    """One input row's result: a qualification, or the entry's error."""

    entry: LeadEntry
    qualification: Qualification | None = None
    stored_id: int | None = None


def run(args, settings: Settings) -> int:
    if args.model:
        settings = settings.model_copy(update={"model": args.model})
    rubric = load_rubric_for_cli(args.rubric or settings.rubric_path)
    entries = read_leads(args.files, input_format=args.input_format, text_column=args.text_column)
    if args.as_of is not None:
        entries = [arrived_on(entry, args.as_of) for entry in entries]
    store = None if args.no_store else open_repository(settings.database_url)
    qualifier = build_qualifier(settings, store)
    outcomes = qualify_entries(entries, rubric, qualifier, store)
    write_outcomes(outcomes, args.format, rubric, sys.stdout, settings.sales_channel)
    failed = [outcome.entry.error for outcome in outcomes if outcome.entry.error]
    for error in failed:
        print(f"leadbot: {error}", file=sys.stderr)
    if args.format == "text":
        print(tally_text(outcomes, rubric))
        if store is not None:
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


def open_repository(url: str) -> Repository:
    """The store at `url`, migrated; a clear error instead of a driver traceback."""
    try:
        return Repository.from_url(url)
    except ArgumentError:
        raise UserError(
            f"LEADBOT_DATABASE_URL: expected a database URL such as sqlite:///leadbot.db, "
            f"got {url!r}"
        ) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UserError(f"cannot open the database {display_url(url)}: {reason}") from None


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def qualify_entries(
    entries: Sequence[LeadEntry],
    rubric: Rubric,
    qualifier: Qualifier,
    store: Repository | None = None,
) -> list[Outcome]:
    """Store the readable leads first (when a store is given), qualify them in one bulk call,
    then store each qualification as a new row. Returns one outcome per entry, in order."""
    leads = [entry.lead for entry in entries if entry.lead is not None]
    stored = iter([store.add_lead(lead) for lead in leads] if store is not None else [])
    qualifications = iter(qualifier.qualify_many(leads, rubric))
    outcomes: list[Outcome] = []
    for entry in entries:
        if entry.lead is None:
            outcomes.append(Outcome(entry))
            continue
        qualification = next(qualifications)
        stored_id = None
        if store is not None:
            stored_lead, created = next(stored)
            stored_id = stored_lead.id
            store.add_qualification(stored_id, qualification)
            if created:
                status = DISQUALIFIED if qualification.tier == DISQUALIFIED else "qualified"
                store.set_status(stored_id, status)
        outcomes.append(Outcome(entry, qualification, stored_id))
    return outcomes


def write_outcomes(
    outcomes: Iterable[Outcome],
    output_format: str,
    rubric: Rubric,
    out: TextIO,
    default_channel: str | None = None,
) -> None:
    """Print each outcome in input order. In json and blocks, a failed row is a line with
    `{"id", "error"}` so every input row has exactly one output line."""
    for outcome in outcomes:
        qualification, entry = outcome.qualification, outcome.entry
        if output_format == "text":
            if qualification is not None:
                lead_id = outcome.stored_id or entry.id
                out.write(
                    render_text(
                        qualification,
                        entry.lead,
                        rubric,
                        lead_id=lead_id,
                        default_channel=default_channel,
                    )
                    + "\n\n"
                )
            continue
        if qualification is None:
            record = {"id": entry.id, "error": entry.error}
        elif output_format == "json":
            record = qualification.public_dict()
        else:
            record = blocks_message(outcome, rubric)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def blocks_message(outcome: Outcome, rubric: Rubric) -> dict:
    """The chat.postMessage payload the bot posts for this lead: fallback text and blocks."""
    lead_id = outcome.stored_id or outcome.entry.id
    lead = outcome.entry.lead
    return {
        "id": outcome.entry.id,
        "text": summary_text(outcome.qualification, lead, lead_id=lead_id),
        "blocks": summary_blocks(outcome.qualification, lead, rubric=rubric, lead_id=lead_id),
    }


def tally_text(outcomes: Sequence[Outcome], rubric: Rubric) -> str:
    """`8 leads: 3 hot, 2 warm, 2 cold, 1 disqualified`, plus failed rows when there are any."""
    tiers = Counter(o.qualification.tier for o in outcomes if o.qualification is not None)
    qualified = sum(tiers.values())
    order = [tier.id for tier in rubric.tiers] + [DISQUALIFIED]
    text = f"{qualified} lead{'s' if qualified != 1 else ''}"
    if qualified:
        text += ": " + ", ".join(f"{tiers[tier]} {tier}" for tier in order)
    failed = len(outcomes) - qualified
    if failed:
        text += f"; {failed} row{'s' if failed != 1 else ''} failed"
    return text
