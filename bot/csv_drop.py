"""CSV drops: a marketer shares a .csv file in an intake channel; each row becomes a lead.

The message listener only queues the file, so the ack waits for nothing. The worker then
downloads it through the gateway, reads it with `parse_leads` (the CLI's reader, so a row
error reads the same everywhere), stores and qualifies the rows through
`LeadPipeline.receive_many`, and answers once in the file message's thread. A row's lead is
keyed by the file id and the row's line, so a redelivered event, a retry or the same file
shared again never adds a lead twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from bot.blocks import safe
from bot.errors import UserError
from bot.lead_files import LeadEntry, parse_leads
from bot.listeners.payloads import SharedFile
from bot.pipeline import SOURCE_CSV, FileRefused, LeadPipeline
from bot.store.repository import StoredLead
from bot.store.work_queue import WorkItem
from qualifiers.models import Qualification
from qualifiers.rubric import DISQUALIFIED

WORK_CSV_FILE = "csv_file"
MAX_CSV_BYTES = 5_000_000
DOWNLOAD_TIMEOUT_SECONDS = 60.0
CSV_FILETYPES = frozenset({"csv", "tsv"})
MAX_ERRORS_SHOWN = 10


class FileDrop(BaseModel):
    """A file shared in an intake channel, as queued for the worker."""

    channel: str
    ts: str
    user: str | None
    file: SharedFile

    @property
    def name(self) -> str:
        return self.file.name or self.file.id


class CsvDrops:
    def __init__(self, pipeline: LeadPipeline):
        self.pipeline = pipeline

    def work_handlers(self) -> dict[str, Callable[[WorkItem], None]]:
        return {WORK_CSV_FILE: self.process}

    def receive(self, drop: FileDrop) -> None:
        """Queue a shared file, once per message and file (called before the ack)."""
        added = self.pipeline.queue.enqueue(
            WORK_CSV_FILE,
            None,
            drop.model_dump(mode="json"),
            dedupe_key=f"file:{drop.channel}:{drop.ts}:{drop.file.id}",
        )
        if added:
            self.pipeline.on_work()

    def process(self, item: WorkItem) -> None:
        """Download and read the file, store and qualify its rows, answer in its thread.
        A file that cannot be read stores nothing; the reply says why."""
        drop = FileDrop.model_validate(item.payload)
        try:
            entries = self._read(drop)
        except (FileRefused, UserError) as exc:
            self._reply(drop, refusal_text(drop.name, without_file_name(str(exc), drop.name)))
            return
        if not entries:
            reason = "It has a header row but no rows of leads under it."
            self._reply(drop, refusal_text(drop.name, reason))
            return
        leads = [
            (
                entry.lead.model_copy(update={"submitted_by": drop.user}),
                f"slack_file:{drop.file.id}:{_line(entry)}",
            )
            for entry in entries
            if entry.lead is not None
        ]
        received = self.pipeline.receive_many(leads, intake_channel=drop.channel, intake_ts=drop.ts)
        errors = [without_file_name(entry.error, drop.name) for entry in entries if entry.error]
        tiers = [tier.id for tier in self.pipeline.rubrics.get().tiers]
        self._reply(drop, drop_reply_text(drop.name, received, errors, tiers))

    def _read(self, drop: FileDrop) -> list[LeadEntry]:
        file = drop.file
        suffix = Path(file.name).suffix.lower().lstrip(".")
        if file.filetype.lower() not in CSV_FILETYPES and suffix not in CSV_FILETYPES:
            raise FileRefused(
                "It is not a CSV file. Share a .csv with a header row and one lead per row, "
                "or post a single lead's text as a message."
            )
        if file.size > MAX_CSV_BYTES:
            raise FileRefused(
                f"It is {file.size / 1_000_000:.1f} MB; CSV files of up to "
                f"{MAX_CSV_BYTES / 1_000_000:g} MB are read. Split it into smaller files."
            )
        data = self.pipeline.gateway.download_file(
            file.url, max_bytes=MAX_CSV_BYTES, timeout=DOWNLOAD_TIMEOUT_SECONDS
        )
        return parse_leads(data, drop.name, input_format="csv", source=SOURCE_CSV)

    def _reply(self, drop: FileDrop, text: str) -> None:
        self.pipeline.gateway.post_message(drop.channel, text, thread_ts=drop.ts)


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


def refusal_text(name: str, reason: str) -> str:
    reason = reason[:1].upper() + reason[1:]
    if not reason.endswith("."):
        reason += "."
    return f"⚠️ I could not read `{safe(name, 100)}`: {safe(reason, 1000)} No leads were stored."


def drop_reply_text(
    name: str,
    received: list[tuple[StoredLead, Qualification, bool]],
    errors: list[str],
    tier_order: list[str],
) -> str:
    """ "3 leads received (hot 1, warm 2); 1 row had errors: line 3: …" for the file's thread."""
    counts = Counter(qualification.tier for _, qualification, _ in received)
    order = [*tier_order, DISQUALIFIED]
    tiers = sorted(counts, key=lambda tier: order.index(tier) if tier in order else len(order))
    text = f"📄 `{safe(name, 100)}`: {_count(len(received), 'lead')} received"
    if tiers:
        text += " (" + ", ".join(f"{tier.replace('_', ' ')} {counts[tier]}" for tier in tiers) + ")"
    repeated = sum(not created for _, _, created in received)
    if repeated:
        text += f", {repeated} of them already received earlier (not posted again)"
    if not errors:
        return text + "."
    lines = [f"• {safe(error, 300)}" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"…and {len(errors) - MAX_ERRORS_SHOWN} more")
    return f"{text}; {_count(len(errors), 'row')} had errors:\n" + "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
