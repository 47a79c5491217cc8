"""The export's two formats: JSON lines (one `ExportedLead` a line) and CSV (one row a lead,
nested parts flattened), with every cell a spreadsheet could run as a formula neutralised."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from bot.services.export import ExportedLead

CSV_COLUMNS = (
    "lead_id",
    "external_id",
    "received_at",
    "source",
    "submitted_by",
    "status",
    "tier",
    "score",
    "rubric",
    "rubric_version",
    "knockout",
    "answers",
    "claimed_by",
    "claim_history",
    "outcome",
    "outcome_date",
    "outcome_by",
    "text",
    "fields",
)
# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A cell that would start a formula gets a leading apostrophe: shown, never run."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def jsonl_lines(leads: Iterable[ExportedLead]) -> Iterable[str]:
    for lead in leads:
        yield json.dumps(lead.model_dump(mode="json"), ensure_ascii=False) + "\n"


def csv_chunks(leads: Iterable[ExportedLead]) -> Iterable[str]:
    """The header, then one row a lead, each as text to write."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for lead in leads:
        writer.writerow([neutralised(cell) for cell in _row(lead)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _row(lead: ExportedLead) -> list[str]:
    outcome = lead.outcome
    answers = "; ".join(
        f"{a.criterion}={a.value}" + (f" [{a.evidence}]" if a.evidence else "")
        for a in lead.answers
    )
    claims = "; ".join(f"{c.event} by {c.by} at {c.at.isoformat()}" for c in lead.claims)
    values = {
        **lead.model_dump(mode="json", include={"lead_id", "external_id", "source", "status"}),
        "received_at": lead.received_at.isoformat(),
        "submitted_by": lead.submitted_by,
        "tier": lead.tier,
        "score": lead.score,
        "rubric": lead.rubric,
        "rubric_version": lead.rubric_version,
        "knockout": lead.knockout,
        "answers": answers,
        "claimed_by": lead.claimed_by,
        "claim_history": claims,
        "outcome": outcome.outcome if outcome else None,
        "outcome_date": outcome.occurred_on.isoformat()
        if outcome and outcome.occurred_on
        else None,
        "outcome_by": (outcome.actor or outcome.origin) if outcome else None,
        "text": lead.text,
        "fields": json.dumps(lead.fields, ensure_ascii=False) if lead.fields else "",
    }
    return ["" if values[column] is None else str(values[column]) for column in CSV_COLUMNS]
