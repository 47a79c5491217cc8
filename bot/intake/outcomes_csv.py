"""A CRM export of outcomes (`leadbot outcomes import`): a header row, a column naming the
lead (`email` or `lead_id`), a column `outcome` (won / lost / no_response) and an optional
`date`. A bad row is reported as FILE:LINE: field: what was expected; the others still count."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.domain.lifecycle import Outcome
from bot.errors import UserError
from bot.intake.files import read_text_file

MAX_IMPORT_ROWS = 100_000
MAX_IMPORT_BYTES = 50_000_000
# What CRMs write for the three outcomes, lower-cased, with spaces and dashes as underscores.
OUTCOME_WORDS = {
    "won": Outcome.WON,
    "closed_won": Outcome.WON,
    "lost": Outcome.LOST,
    "closed_lost": Outcome.LOST,
    "no_response": Outcome.NO_RESPONSE,
    "noresponse": Outcome.NO_RESPONSE,
    "unresponsive": Outcome.NO_RESPONSE,
}


@dataclass(frozen=True)
class OutcomeColumns:
    """Which columns hold what (`--email-column` etc.); None: the default names."""

    email: str | None = None
    lead_id: str | None = None
    outcome: str = "outcome"
    date: str | None = None


@dataclass(frozen=True)
class OutcomeRecord:
    """One readable row: which lead (by email or id) and how it ended."""

    location: str
    outcome: Outcome
    email: str | None = None
    lead_ref: str | None = None
    occurred_on: date | None = None


@dataclass
class OutcomeFile:
    records: list[OutcomeRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: int = 0


def read_outcomes(path: str, columns: OutcomeColumns = OutcomeColumns()) -> OutcomeFile:
    """The file's rows as outcome records, or a `UserError` when it cannot be read at all
    (missing, too big, no header, no column naming the lead or the outcome)."""
    source = Path(path)
    if source.is_file() and source.stat().st_size > MAX_IMPORT_BYTES:
        raise UserError(f"{path}: larger than {MAX_IMPORT_BYTES:,} bytes; split the export")
    text = read_text_file(path)
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or [] if name]
    if not header:
        raise UserError(f"{path}: empty; expected a header row (email or lead_id, outcome)")
    email = _column(path, header, columns.email, "email", "--email-column")
    lead_id = _column(path, header, columns.lead_id, "lead_id", "--lead-id-column")
    if email is None and lead_id is None:
        raise UserError(
            f"{path}: no column naming the lead; expected 'email' or 'lead_id' "
            f"(or --email-column / --lead-id-column); the columns are: {', '.join(header)}"
        )
    outcome = _column(path, header, columns.outcome, None, "--outcome-column")
    if outcome is None:
        raise UserError(
            f"{path}: no column 'outcome' (or --outcome-column); the columns are: "
            f"{', '.join(header)}"
        )
    day = _column(path, header, columns.date, "date", "--date-column")
    result = OutcomeFile()
    for line, row in enumerate(reader, start=2):
        if result.rows >= MAX_IMPORT_ROWS:
            raise UserError(f"{path}: more than {MAX_IMPORT_ROWS:,} rows; split the export")
        result.rows += 1
        cells = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        record = _record(f"{path}:{line}", cells, email, lead_id, outcome, day)
        if isinstance(record, str):
            result.errors.append(record)
        else:
            result.records.append(record)
    return result


def _column(
    path: str, header: list[str], wanted: str | None, default: str | None, option: str
) -> str | None:
    """The column called `wanted` (an error when it was asked for and is missing), else the
    default name when present; case-insensitive."""
    name = wanted or default
    if name is None:
        return None
    found = next((column for column in header if column.lower() == name.lower()), None)
    if found is None and wanted is not None:
        raise UserError(
            f"{path}: {option}: no column {wanted!r}; the columns are: {', '.join(header)}"
        )
    return found


def _record(
    location: str,
    cells: dict[str, str],
    email: str | None,
    lead_id: str | None,
    outcome: str,
    day: str | None,
) -> OutcomeRecord | str:
    email_value = cells.get(email, "") if email else ""
    lead_value = cells.get(lead_id, "") if lead_id else ""
    if not email_value and not lead_value:
        named = " or ".join(name for name in (email, lead_id) if name)
        return f"{location}: {named}: expected the lead's email or id, got an empty cell"
    if email_value and "@" not in email_value:
        return f"{location}: {email}: expected an email address, got {email_value[:60]!r}"
    word = cells.get(outcome, "").lower().replace(" ", "_").replace("-", "_")
    if word not in OUTCOME_WORDS:
        shown = cells.get(outcome, "")[:60]
        return f"{location}: {outcome}: expected won, lost or no_response, got {shown!r}"
    occurred_on = None
    if day and cells.get(day):
        try:
            occurred_on = date.fromisoformat(cells[day][:10])
        except ValueError:
            return f"{location}: {day}: expected a date as YYYY-MM-DD, got {cells[day][:60]!r}"
    return OutcomeRecord(
        location=location,
        outcome=OUTCOME_WORDS[word],
        email=email_value.lower() or None,
        lead_ref=lead_value or None,
        occurred_on=occurred_on,
    )
