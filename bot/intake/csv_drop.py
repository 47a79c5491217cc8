"""CSV drops: a marketer shares a .csv file in an intake channel; each row becomes a lead.

The message listener only queues the file (`ReceiveService.receive_file`), so the ack waits
for nothing. The worker then downloads it through the gateway and reads it here with
`parse_leads` (the CLI's reader, so a row error reads the same everywhere). A row's lead is
keyed by the file id and the row's line, so a redelivered event, a retry or the same file
shared again never adds a lead twice.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from bot.domain.lifecycle import LeadSource
from bot.intake.files import LeadEntry, parse_leads
from bot.services.gateway import FileRefused, SlackGateway
from bot.slack.payloads import SharedFile

MAX_CSV_BYTES = 5_000_000
DOWNLOAD_TIMEOUT_SECONDS = 60.0
CSV_FILETYPES = frozenset({"csv", "tsv"})


class FileDrop(BaseModel):
    """A file shared in an intake channel, as queued for the worker."""

    channel: str
    ts: str
    user: str | None
    file: SharedFile
    text_is_lead: bool = False  # the message's text was taken as a lead: no refusal needed

    @property
    def name(self) -> str:
        return self.file.name or self.file.id


def read_drop(drop: FileDrop, gateway: SlackGateway) -> list[LeadEntry]:
    """The file's rows as lead entries. Raises `FileRefused` for a file that is not read
    (not a CSV, too large) and `UserError` for one that cannot be parsed."""
    file = drop.file
    if not is_csv(file):
        raise FileRefused(
            "It is not a CSV file. Share a .csv with a header row and one lead per row, "
            "or post a single lead's text as a message."
        )
    if file.size > MAX_CSV_BYTES:
        raise FileRefused(
            f"It is {file.size / 1_000_000:.1f} MB; CSV files of up to "
            f"{MAX_CSV_BYTES / 1_000_000:g} MB are read. Split it into smaller files."
        )
    data = gateway.download_file(
        file.url, max_bytes=MAX_CSV_BYTES, timeout=DOWNLOAD_TIMEOUT_SECONDS
    )
    return parse_leads(data, drop.name, input_format="csv", source=LeadSource.SLACK_CSV)


def is_csv(file: SharedFile) -> bool:
    suffix = Path(file.name).suffix.lower().lstrip(".")
    return file.filetype.lower() in CSV_FILETYPES or suffix in CSV_FILETYPES


def row_dedupe_key(drop: FileDrop, entry: LeadEntry) -> str:
    return f"slack_file:{drop.file.id}:{_line(entry)}"


def _line(entry: LeadEntry) -> str:
    """The row's line in the file (`parse_leads` locates entries as FILE:LINE)."""
    return entry.location.rsplit(":", 1)[-1]


def without_file_name(message: str, name: str) -> str:
    """`parse_leads` says "FILE:3: what"; in the file's own thread "line 3: what" is enough."""
    rest = message.removeprefix(f"{name}:")
    line, separator, what = rest.partition(": ")
    if separator and line.isdigit():
        return f"line {line}: {what}"
    return rest.strip()
