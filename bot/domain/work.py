"""Typed work messages: what must still happen to a lead after Slack was acknowledged.

One pydantic model per kind. A work row's `kind` column names the class (`WorkMessage.kind`,
registered in `WORK_MESSAGES`) and its payload holds the fields, so what a handler reads is
exactly what its sender wrote, checked on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

WORK_MESSAGES: dict[str, type[WorkMessage]] = {}
INTERACTIVE_PRIORITY = 100


class WorkMessage(BaseModel):
    """A unit of durable work. `lead_id` (when the work is about one lead) is stored in its
    own column: the queue leases at most one item per lead at a time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    # Higher is leased first (then the earliest due): someone waiting on a click beats
    # a lead being posted, and a hot lead beats a cold one (`tier_priority`).
    default_priority: ClassVar[int] = 0
    lead_id: int | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            WORK_MESSAGES[cls.kind] = cls

    def payload(self) -> dict:
        return self.model_dump(mode="json", exclude={"lead_id"})

    @classmethod
    def load(cls, kind: str, lead_id: int | None, payload: dict | None) -> WorkMessage:
        """The message a work row holds; `LookupError` for a kind no class names."""
        message_class = WORK_MESSAGES.get(kind)
        if message_class is None:
            raise LookupError(f"no work message of kind {kind!r}")
        return message_class.model_validate({**(payload or {}), "lead_id": lead_id})


class ProcessLead(WorkMessage):
    """Qualify a new lead, post its summary, answer the marketer."""

    kind: ClassVar[str] = "process"
    lead_id: int


class Requalify(WorkMessage):
    """The marketer answered in the thread: qualify again with the answers."""

    kind: ClassVar[str] = "requalify"
    lead_id: int
    actor: str | None = None


class RefreshSummary(WorkMessage):
    """Re-render the posted summary from the database (a claim, release, answer...)."""

    kind: ClassVar[str] = "refresh"
    default_priority: ClassVar[int] = INTERACTIVE_PRIORITY
    lead_id: int


class NotifyThread(WorkMessage):
    """Say something in the marketer's thread about the lead."""

    kind: ClassVar[str] = "notify"
    default_priority: ClassVar[int] = INTERACTIVE_PRIORITY
    lead_id: int
    text: str


class SendEphemeral(WorkMessage):
    """An ephemeral message to one user (a refusal, a notice); best effort."""

    kind: ClassVar[str] = "ephemeral"
    default_priority: ClassVar[int] = INTERACTIVE_PRIORITY
    channel: str
    user: str
    text: str


class SlaReminder(WorkMessage):
    """The tier's claim SLA ran out: remind the sales channel, unless claimed meanwhile."""

    kind: ClassVar[str] = "sla_reminder"
    lead_id: int
    tier: str
    sla_minutes: int


class ReadCsvDrop(WorkMessage):
    """A CSV file shared in an intake channel: download it, store and qualify its rows."""

    kind: ClassVar[str] = "csv_file"
    channel: str
    ts: str
    user: str | None
    file: dict  # the Slack file, validated as `bot.intake.csv_drop.FileDrop.file` by its handler


def tier_priority(tier_ids: list[str], tier: str) -> int:
    """A lead's work priority from its tier: the rubric lists tiers best first, so the
    first (hot) gets the most. Unknown tiers get none."""
    if tier not in tier_ids:
        return 0
    return 10 * (len(tier_ids) - tier_ids.index(tier))


# What runs a kind of work: (message, attempts so far, counting this one).
Handler = Callable[[WorkMessage, int], None]


def handlers_by_kind(handlers: dict[type[WorkMessage], Handler]) -> dict[str, Handler]:
    """The worker's registry: each message class's `kind` to its handler."""
    return {message_class.kind: handler for message_class, handler in handlers.items()}
