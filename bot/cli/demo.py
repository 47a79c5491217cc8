"""`leadbot demo`: the whole pipeline on the bundled sample leads, with no account and no network.

Reads examples/leads.txt (package data `bot.examples`), stores each lead in a fresh SQLite
database under the current directory, qualifies it with the offline qualifier, prints each
summary as a rep would read it in Slack, and writes the Block Kit messages the bot would post
to a JSON file next to the database.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

from bot.bootstrap import build_qualifier, open_database
from bot.cli.common import load_rubric_for_cli
from bot.errors import UserError
from bot.intake.files import LeadEntry, parse_leads
from bot.render.outcomes import blocks_message, tally_text, write_outcomes
from bot.services.bulk import qualify_entries
from bot.settings import Settings
from bot.store.unit_of_work import UnitOfWork

SAMPLE_NAME = "examples/leads.txt"
BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="qualify the bundled sample leads offline and show the Slack summaries",
        description="Runs the whole pipeline offline on the sample leads: store in a fresh "
        "SQLite database, qualify, score, render. Needs no credentials and no network.",
    )
    parser.add_argument(
        "--out", default="out", help="directory for demo.db and demo-blocks.json (default: out)"
    )
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create the output directory ({exc.strerror})") from None
    database_path = out / "demo.db"
    for stale in (database_path, out / "demo.db-wal", out / "demo.db-shm"):
        stale.unlink(missing_ok=True)
    settings = settings.model_copy(
        update={"model": "offline", "database_url": f"sqlite:///{database_path}"}
    )
    rubric = load_rubric_for_cli(settings.rubric_path)
    entries = _sample_leads()
    database = open_database(settings.database_url)
    qualifier = build_qualifier(settings, database)
    outcomes = qualify_entries(entries, rubric, qualifier, UnitOfWork(database))

    print(f"leadbot demo: {len(entries)} sample leads from {SAMPLE_NAME}, offline qualifier\n")
    write_outcomes(outcomes, "text", rubric, sys.stdout, settings.sales_channel)
    blocks_path = out / "demo-blocks.json"
    messages = [blocks_message(outcome, rubric) for outcome in outcomes if outcome.qualification]
    blocks_path.write_text(json.dumps(messages, indent=2, ensure_ascii=False) + "\n")
    print(tally_text(outcomes, rubric))
    print(f"Leads and qualifications stored in {database_path}")
    print(f"Block Kit messages the bot would post: {blocks_path}")
    print(f"  (paste one message's blocks into {BLOCK_KIT_BUILDER} to see it as Slack shows it)")
    errors = [outcome.entry.error for outcome in outcomes if outcome.entry.error]
    for error in errors:
        print(f"leadbot: {error}", file=sys.stderr)
    return 1 if errors else 0


def _sample_leads() -> list[LeadEntry]:
    """The bundled sample leads, named as in the source tree whatever the working directory."""
    data = resources.files("bot.examples").joinpath("leads.txt").read_bytes()
    return parse_leads(data, SAMPLE_NAME)
