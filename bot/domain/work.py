"""Typed work messages: what must still happen to a lead after Slack was acknowledged.

One pydantic model per kind. A work row's `kind` column names the class (`WorkMessage.kind`,
registered in `WORK_MESSAGES`) and its payload holds the fields, so what a handler reads is
exactly what its sender wrote, checked on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
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
    """Qualify a new lead, post its summary, answer the marketer. A CSV row that is not of
    the top tier is posted in its file's digest thread (`digest_channel`, `digest_ts`)."""

    kind: ClassVar[str] = "process"
    lead_id: int
    digest_channel: str | None = None
    digest_ts: str | None = None


class Requalify(WorkMessage):
    """Qualify again: someone answered in the thread (`answer`, keyed `answer_key` so a retry
    records it once), edited the intake message (`edited`), or the same person came in
    again from another source (`merged_from`, that source)."""

    kind: ClassVar[str] = "requalify"
    lead_id: int
    actor: str | None = None
    answer: str | None = None
    answer_key: str | None = None
    edited: bool = False
    merged_from: str | None = None


class RefreshSummary(WorkMessage):
    """Re-render the posted summary from the database (a claim, release, answer...)."""

    kind: ClassVar[str] = "refresh"
    default_priority: ClassVar[int] = INTERACTIVE_PRIORITY
    lead_id: int


class NotifyThread(WorkMessage):
    """Say something in the marketer's thread about the lead (maybe with a button)."""

    kind: ClassVar[str] = "notify"
    default_priority: ClassVar[int] = INTERACTIVE_PRIORITY
    lead_id: int
    text: str
    blocks: list[dict] | None = None
    notice_id: str | None = None  # names the message in Slack, so a retry never says it twice


class NotifyUser(WorkMessage):
    """A direct message to one person about a lead, e.g. a rep whose claim was ended."""

    kind: ClassVar[str] = "notify_user"
    lead_id: int
    user: str
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
    thread_ts: str | None = None  # the CSV digest whose thread holds the summary


class OfferLead(WorkMessage):
    """Round-robin: offer the lead to the next available rep of its tier (`round` counts the
    offers made so far), unless it was claimed meanwhile."""

    kind: ClassVar[str] = "offer"
    lead_id: int
    tier: str
    round: int = 0


class MentionAssignee(WorkMessage):
    """Tell the rep a lead was assigned to, in the summary's thread."""

    kind: ClassVar[str] = "mention_assignee"
    lead_id: int
    rep: str
    window_minutes: int


class Escalate(WorkMessage):
    """Unclaimed past twice its tier's SLA: tell the escalation channel, once."""

    kind: ClassVar[str] = "escalate"
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
    confirmed: bool = False  # the marketer confirmed a file over LEADBOT_CSV_MAX_ROWS
    text_is_lead: bool = False


class HandoffEvent(StrEnum):
    """What the outside world (LEADBOT_EVENTS_URL, the CRM) is told about a lead. The value
    is the lead event of the same name that triggers it."""

    QUALIFIED = "qualified"
    CLAIMED = "claimed"
    RELEASED = "released"
    DISQUALIFIED = "disqualified"
    OUTCOME = "outcome"


class SendLeadEvent(WorkMessage):
    """POST one signed event to LEADBOT_EVENTS_URL. `body` is the JSON built when the lead
    moved (in that unit of work), so every retry sends the same bytes under the same id."""

    kind: ClassVar[str] = "lead_event"
    lead_id: int
    event_id: str
    body: dict


class SyncHubSpot(WorkMessage):
    """Bring HubSpot up to date with one of the lead's moves (a claim creates or updates the
    contact, company, owner and note; a disqualification or outcome sets its status)."""

    kind: ClassVar[str] = "hubspot_sync"
    lead_id: int
    event: HandoffEvent
    rep: str | None = None
    at: datetime
    outcome: str | None = None


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
