"""Past leads with known outcomes (for `backtest` and `rubric suggest`): a CSV's rows as
leads, each with whether it converted according to its label column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import UserError
from bot.intake.files import LeadEntry, read_leads
from qualifiers.models import Lead

DEFAULT_POSITIVES = ("1", "yes", "true")


@dataclass(frozen=True)
class LabelledLeads:
    leads: list[Lead]
    labels: list[bool]
    skipped: list[str]
    values: set[str] = field(default_factory=set)  # the outcomes seen, for error messages


def read_labelled_leads(
    path: str,
    label: str,
    positives: list[str] | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
) -> LabelledLeads:
    """The CSV's rows as leads with their outcome; the label column is removed from the fields.

    Unreadable rows and rows with an empty label are skipped and listed; a file with no usable
    row, or whose label column is missing or never positive, is a `UserError`. With
    `id_column`, each lead's id is that column's value (the column is removed from the fields:
    a CRM id is not for the rubric either).
    """
    entries = _read_rows(path, text_column)
    column = _column(path, entries, label, "--label")
    if id_column:
        _name_by(entries, _column(path, entries, id_column, "--id-column"))
    wanted = {value.strip().lower() for value in (positives or DEFAULT_POSITIVES)}
    data = _with_outcomes(entries, column, wanted)
    _check_outcomes(path, column, data, wanted)
    return data


def _read_rows(path: str, text_column: str | None) -> list[LeadEntry]:
    if Path(path).is_file() and Path(path).stat().st_size == 0:
        raise UserError(f"{path}: the file is empty; expected a header row and past leads")
    entries = read_leads([path], input_format="csv", text_column=text_column)
    if not entries:
        raise UserError(f"{path}: no row after the header; expected past leads, one a row")
    return entries


def _column(path: str, entries: list[LeadEntry], name: str, option: str) -> str:
    """The column called `name`, exactly or else ignoring case."""
    columns = list(dict.fromkeys(key for e in entries if e.lead for key in e.lead.fields))
    column = next((c for c in columns if c == name), None) or next(
        (c for c in columns if c.lower() == name.lower()), None
    )
    if column is None:
        shown = ", ".join(columns[:30]) or "none with values"
        raise UserError(f"{path}: {option}: no column {name!r}; the columns are: {shown}")
    return column


def _name_by(entries: list[LeadEntry], column: str) -> None:
    """Each lead's id from `column` (a blank cell keeps the id it had)."""
    for entry in entries:
        if entry.lead is not None:
            entry.lead.id = entry.lead.fields.pop(column, "").strip() or entry.lead.id


def _with_outcomes(entries: list[LeadEntry], column: str, wanted: set[str]) -> LabelledLeads:
    """Each readable row's lead (without its outcome, which is not for the rubric) and
    whether the outcome is one of `wanted`; rows with no outcome are skipped."""
    data = LabelledLeads([], [], [entry.error for entry in entries if entry.error])
    for entry in entries:
        if entry.lead is None:
            continue
        value = entry.lead.fields.pop(column, "").strip()
        if not value:
            data.skipped.append(
                f"{entry.location}: {column}: expected the outcome, got an empty cell"
            )
            continue
        data.values.add(value)
        data.leads.append(entry.lead)
        data.labels.append(value.lower() in wanted)
    return data


def _check_outcomes(path: str, column: str, data: LabelledLeads, wanted: set[str]) -> None:
    if not data.leads:
        raise UserError(f"{path}: no row has both a lead and an outcome in {column!r}")
    if not any(data.labels):
        raise UserError(
            f"{path}: no row of {column!r} counts as converted (values seen: "
            f"{', '.join(sorted(data.values)[:10])}); pass --positive VALUE"
        )
