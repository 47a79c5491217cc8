"""`leadbot outcomes import FILE.csv`: how leads ended, from a CRM export, mapped onto the
stored leads (by email or lead id). Bad rows are listed as FILE:LINE: field: what was
expected, rows that match no stored lead by line; the others are recorded in one go."""

from __future__ import annotations

import sys

from bot.bootstrap import open_database
from bot.cli.common import MAX_ROW_ERRORS_SHOWN
from bot.domain.permissions import Managers
from bot.errors import UserError
from bot.intake.outcomes_csv import OutcomeColumns, read_outcomes
from bot.services.outcomes import OutcomesService
from bot.settings import Settings
from bot.store.unit_of_work import UnitOfWork

EXIT_SOME_ROWS_FAILED = 1


def register(subparsers) -> None:
    parser = subparsers.add_parser("outcomes", help="record how leads ended (won, lost, ...)")
    commands = parser.add_subparsers(dest="outcomes_command", required=True, metavar="COMMAND")
    imported = commands.add_parser(
        "import",
        help="map a CRM export's outcomes onto stored leads",
        description="Read a CSV with a header row: a column naming the lead (email or "
        "lead_id), a column outcome (won, lost or no_response) and optionally date "
        "(YYYY-MM-DD). Each row that matches a stored lead records its outcome; a claimed "
        "lead's summary shows it. Exit 0 when every row was recorded, 1 when some were not, "
        "2 when the file cannot be read.",
    )
    imported.add_argument("file", metavar="FILE.csv")
    imported.add_argument("--email-column", metavar="COLUMN", help="default: email")
    imported.add_argument("--lead-id-column", metavar="COLUMN", help="default: lead_id")
    imported.add_argument("--outcome-column", metavar="COLUMN", default="outcome")
    imported.add_argument("--date-column", metavar="COLUMN", help="default: date")
    imported.set_defaults(handler=run_import)


def run_import(args, settings: Settings) -> int:
    columns = OutcomeColumns(
        email=args.email_column,
        lead_id=args.lead_id_column,
        outcome=args.outcome_column,
        date=args.date_column,
    )
    data = read_outcomes(args.file, columns)
    if not data.rows:
        raise UserError(f"{args.file}: no row after the header; expected one outcome a row")
    service = OutcomesService(UnitOfWork(open_database(settings.database_url)), Managers())
    result = service.import_records(data.records)
    problems = data.errors + result.unmatched
    for problem in problems[: MAX_ROW_ERRORS_SHOWN * 4]:
        print(f"leadbot: {problem}", file=sys.stderr)
    if len(problems) > MAX_ROW_ERRORS_SHOWN * 4:
        print(f"leadbot: ... and {len(problems) - MAX_ROW_ERRORS_SHOWN * 4} more", file=sys.stderr)
    print(
        f"{result.recorded:,} of {data.rows:,} outcomes recorded "
        f"({len(result.unmatched):,} unmatched, {len(data.errors):,} unreadable); "
        f"{result.moved:,} claimed leads updated"
    )
    return EXIT_SOME_ROWS_FAILED if problems else 0
