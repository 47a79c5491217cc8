"""Reading leads from files and stdin: .txt, .jsonl and .csv.

A row that cannot be read becomes a `LeadEntry` with an error ("FILE:LINE: field: what was
expected") so the other rows still run. A file that cannot be read at all (missing, empty,
binary) raises `UserError`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from bot.errors import UserError
from qualifiers.arrival import arrival_from_fields, parse_arrival
from qualifiers.models import Lead

InputFormat = Literal["txt", "jsonl", "csv"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("txt", "jsonl", "csv")
FORMAT_BY_SUFFIX: dict[str, InputFormat] = {
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
}
MAX_LEAD_BYTES = 1_000_000
TEXT_SEPARATOR = "---"
TEXT_COLUMNS = ("text", "notes", "note", "message", "description", "body", "comments", "lead")
ID_COLUMNS = ("id", "lead_id", "lead id")
CSV_DELIMITERS = (",", ";", "\t", "|")
STDIN = "-"


@dataclass(frozen=True)
class LeadEntry:
    """One lead read from input, or why that row could not be read (then `lead` is None)."""

    location: str
    lead: Lead | None = None
    error: str | None = None
    row_id: str | None = None

    @property
    def id(self) -> str:
        """The row's own id (even when the row failed), else where it is: FILE:LINE."""
        if self.lead is not None and self.lead.id:
            return self.lead.id
        return self.row_id or self.location


def read_leads(
    paths: Sequence[str],
    *,
    input_format: InputFormat | None = None,
    text_column: str | None = None,
    stdin: BinaryIO | None = None,
) -> list[LeadEntry]:
    """Every lead in `paths`, in input order; `-` reads stdin."""
    entries: list[LeadEntry] = []
    for path in paths:
        if path == STDIN:
            data = (stdin or sys.stdin.buffer).read()
            name = "stdin"
        else:
            data = _read_file(path)
            name = path
        entries.extend(parse_leads(data, name, input_format=input_format, text_column=text_column))
    return entries


def parse_leads(
    data: bytes,
    name: str,
    *,
    input_format: InputFormat | None = None,
    text_column: str | None = None,
    source: str = "cli",
) -> list[LeadEntry]:
    """Leads in `data`; the format comes from `input_format`, `name`'s suffix, or the content."""
    text = _decode(data, name)
    if not text.strip():
        raise UserError(f"{name}: the file is empty; expected at least one lead")
    fmt = input_format or FORMAT_BY_SUFFIX.get(Path(name).suffix.lower())
    fmt = fmt or sniff_format(text, text_column)
    if fmt == "jsonl":
        return list(_jsonl_entries(text, name, source))
    if fmt == "csv":
        tab_separated = Path(name).suffix.lower() == ".tsv"
        return list(_csv_entries(text, name, source, text_column, tab_separated))
    return list(_text_entries(text, name, source))


def sniff_format(text: str, text_column: str | None = None) -> InputFormat:
    """JSON Lines if it starts with `{`; CSV if the first line names a text column; else text."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "jsonl"
    header = stripped.split("\n", 1)[0]
    delimiter = _delimiter(header)
    if delimiter:
        names = [cell.strip().strip('"').lower() for cell in header.split(delimiter)]
        wanted = {text_column.lower()} if text_column else {*TEXT_COLUMNS, *ID_COLUMNS}
        if wanted.intersection(names):
            return "csv"
    return "txt"


# --- bytes to text ------------------------------------------------------------------------------


def read_text_file(path: str) -> str:
    """A file's text, decoded the way lead files are (UTF-8, else what Excel saves), or a
    `UserError` saying why it cannot be read."""
    return _decode(_read_file(path), path)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory; expected a .txt, .jsonl or .csv file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read file ({exc.strerror})") from None


def _decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is fine), else Windows-1252 or Latin-1 (what Excel on
    Windows saves as "CSV"); binary data is refused with where it starts."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise UserError(
            f"{name}:{line}: expected UTF-8 text, found binary data (a NUL byte at byte {nul})"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_legacy(data)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_legacy(data: bytes) -> str:
    """Windows-1252 leaves five bytes undefined; a file using them is Latin-1."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _size_error(field: str, text: str) -> str | None:
    """Leads over 1 MB are refused before any extractor sees them."""
    if len(text) * 4 <= MAX_LEAD_BYTES:
        return None
    size = len(text.encode("utf-8"))
    if size <= MAX_LEAD_BYTES:
        return None
    return f"{field}: expected at most {MAX_LEAD_BYTES:,} bytes of text per lead, got {size:,}"


def _row_error(location: str, message: str, row_id: str | None = None) -> LeadEntry:
    return LeadEntry(location, error=f"{location}: {message}", row_id=row_id)


def _entry(location: str, lead: Lead, text_field: str = "text") -> LeadEntry:
    """A lead read from `location`, unless its text or a field is over the size limit."""
    for field, value in [(text_field, lead.text), *lead.fields.items()]:
        if error := _size_error(field, value):
            return _row_error(location, error, lead.id)
    return LeadEntry(location, lead=lead)


# --- .txt -----------------------------------------------------------------------------------


def _text_entries(text: str, name: str, source: str) -> Iterator[LeadEntry]:
    """Leads separated by lines of `---`; each lead's id is where it starts (FILE:LINE)."""
    block: list[str] = []
    start = 1
    for number, line in enumerate([*text.split("\n"), TEXT_SEPARATOR], start=1):
        if line.strip() != TEXT_SEPARATOR:
            if not block and not line.strip():
                start = number + 1
                continue
            block.append(line)
            continue
        lead_text = "\n".join(block).strip()
        if lead_text:
            location = f"{name}:{start}"
            yield _entry(location, Lead(id=location, text=lead_text, source=source))
        block, start = [], number + 1


# --- .jsonl ---------------------------------------------------------------------------------


def _jsonl_entries(text: str, name: str, source: str) -> Iterator[LeadEntry]:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield _jsonl_entry(line, f"{name}:{number}", source)


def _jsonl_entry(line: str, location: str, source: str) -> LeadEntry:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _row_error(location, f"expected one JSON object per line ({exc.msg})")
    if not isinstance(record, dict):
        return _row_error(location, f"expected a JSON object, got {_json_kind(record)}")
    lead_id = record.pop("id", None)
    if lead_id is not None and (isinstance(lead_id, bool) or not isinstance(lead_id, str | int)):
        return _row_error(location, f"id: expected a string or number, got {_json_kind(lead_id)}")
    row_id = str(lead_id) if lead_id is not None else None
    lead_text = record.pop("text", None)
    if lead_text is not None and not isinstance(lead_text, str):
        message = f"text: expected a string, got {_json_kind(lead_text)}"
        return _row_error(location, message, row_id)
    fields = {key: _field_text(value) for key, value in record.items() if value is not None}
    fields = {key: value for key, value in fields.items() if value.strip()}
    if not (lead_text or "").strip() and not fields:
        message = "text: expected the lead's text (or other fields), got nothing"
        return _row_error(location, message, row_id)
    error = _arrival_error(fields)
    if error:
        return _row_error(location, error, row_id)
    lead = Lead(
        id=row_id or location,
        text=(lead_text or "").strip(),
        fields=fields,
        source=source,
        received_at=arrival_from_fields(fields),
    )
    return _entry(location, lead)


def _arrival_error(fields: dict[str, str]) -> str | None:
    """A `received_at` column names when the lead arrived: it must be a date. (Looser names
    such as `Date` are used only when they hold one.)"""
    value = fields.get("received_at")
    if value is not None and parse_arrival(value) is None:
        return f"received_at: expected a date such as 2026-03-14, got {value!r}"
    return None


def _field_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _json_kind(value: object) -> str:
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    kinds |= {list: "a list", dict: "an object", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


# --- .csv -----------------------------------------------------------------------------------


def _csv_entries(
    text: str, name: str, source: str, text_column: str | None, tab_separated: bool
) -> Iterator[LeadEntry]:
    """Rows of a CSV with a header; one text column and/or field columns."""
    header_line = text.lstrip("\n").split("\n", 1)[0]
    delimiter = "\t" if tab_separated else (_delimiter(header_line) or ",")
    # The whole file is already in memory; an oversized cell is reported per row by `_entry`.
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    while header is None:
        row = next(reader, None)
        if row is None:
            raise UserError(f"{name}: expected a header row naming the columns, got nothing")
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
    columns = _csv_columns(header, name, reader.line_num, text_column)
    while True:
        location = f"{name}:{reader.line_num + 1}"
        try:
            row = next(reader, None)
        except csv.Error as exc:
            yield _row_error(location, f"expected well-formed CSV ({exc})")
            return
        if row is None:
            return
        if any(cell.strip() for cell in row):
            yield _csv_entry(row, columns, location, source)


@dataclass(frozen=True)
class _CsvColumns:
    names: list[str]
    text_index: int | None
    id_index: int | None
    used: int


def _csv_columns(header: list[str], name: str, line: int, text_column: str | None) -> _CsvColumns:
    used = len(header)
    while used and not header[used - 1]:
        used -= 1
    lowered = [cell.lower() for cell in header[:used]]
    if text_column is not None:
        if text_column.lower() not in lowered:
            raise UserError(
                f"{name}:{line}: --text-column: expected one of the columns "
                f"{', '.join(header[:used])}; got {text_column!r}"
            )
        text_index = lowered.index(text_column.lower())
    else:
        text_index = next((lowered.index(c) for c in TEXT_COLUMNS if c in lowered), None)
    id_index = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)
    return _CsvColumns(header, text_index, id_index, used)


def _csv_entry(row: list[str], columns: _CsvColumns, location: str, source: str) -> LeadEntry:
    extra = [cell for cell in row[columns.used :] if cell.strip()]
    if extra or len(row) < columns.used:
        return _row_error(
            location,
            f"expected {columns.used} columns as in the header, got "
            f"{len(row)} (quote values that contain the delimiter or a line break)",
        )
    fields: dict[str, str] = {}
    for index, value in enumerate(row[: columns.used]):
        column = columns.names[index]
        if index in (columns.text_index, columns.id_index) or not value.strip():
            continue
        if not column:
            return _row_error(location, f"column {index + 1}: expected a header name for its value")
        fields[column] = value.strip()
    lead_text = row[columns.text_index].strip() if columns.text_index is not None else ""
    lead_id = row[columns.id_index].strip() if columns.id_index is not None else ""
    if not lead_text and not fields:
        message = "expected the lead's text or fields, got empty cells"
        return _row_error(location, message, lead_id or None)
    error = _arrival_error(fields)
    if error:
        return _row_error(location, error, lead_id or None)
    lead = Lead(
        id=lead_id or location,
        text=lead_text,
        fields=fields,
        source=source,
        received_at=arrival_from_fields(fields),
    )
    text_field = columns.names[columns.text_index] if columns.text_index is not None else "text"
    return _entry(location, lead, text_field)


def _delimiter(header: str) -> str | None:
    """The candidate delimiter the header line uses most, ignoring quoted parts."""
    unquoted = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in CSV_DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else None
