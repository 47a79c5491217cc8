"""The schema. Change it only together with a new Alembic migration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain.lifecycle import LeadStatus


class Base(DeclarativeBase):
    pass


class LeadRow(Base):
    """A lead as received. Never overwritten: follow-up answers are appended to `text`."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(40))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    intake_channel: Mapped[str | None] = mapped_column(String(40))
    intake_ts: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.RECEIVED, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class QualificationRow(Base):
    """One qualification of a lead under one rubric version; re-qualifying adds a row."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    rubric_name: Mapped[str] = mapped_column(String(200))
    rubric_version: Mapped[str] = mapped_column(String(40), index=True)
    qualifier: Mapped[str] = mapped_column(String(200))
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(40))
    knockout: Mapped[str | None] = mapped_column(String(60))
    result: Mapped[dict] = mapped_column(JSON)
    model: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    """Append-only audit log of every lead transition (who, when, what)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SlackMessageRow(Base):
    """Where a lead's messages live in Slack, so they are updated in place and never re-posted."""

    __tablename__ = "slack_messages"
    __table_args__ = (UniqueConstraint("lead_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SlackPostRow(Base):
    """Every bot message, recorded before it is posted (intent) and after (where Slack put it):
    a retry whose intent has no result looks for the message in Slack before posting again.
    `key` names the message; Slack carries it in the message's metadata."""

    __tablename__ = "slack_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    posted_channel: Mapped[str | None] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelPaceRow(Base):
    """Slack's per-channel posting limit, shared by every process: the channel's theoretical
    arrival time (GCRA, seconds since the epoch); one conditional UPDATE takes a slot."""

    __tablename__ = "channel_pacing"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class WorkItemRow(Base):
    """Durable work (qualify, post, update, remind) claimed by a worker with a lease.

    `owner` names the lease's holder: only it may finish the item or put it back. Work that
    failed for good has `failed_at` (and `done_at`, so nothing takes it again)."""

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index(
            "ix_work_items_unfinished",
            "priority",
            "due_at",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        Index(
            "ix_work_items_failed",
            "failed_at",
            postgresql_where=text("failed_at IS NOT NULL"),
            sqlite_where=text("failed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner: Mapped[str | None] = mapped_column(String(80))
    error_class: Mapped[str | None] = mapped_column(String(40))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExtractionCacheRow(Base):
    """A model's extraction keyed by lead content, rubric version and model: no second call."""

    __tablename__ = "extraction_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    extraction: Mapped[dict] = mapped_column(JSON)
    usage: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RubricChangeRow(Base):
    """Audit of rubric replacements made from Slack: who, when, old and new version."""

    __tablename__ = "rubric_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100))
    old_version: Mapped[str | None] = mapped_column(String(40))
    new_version: Mapped[str] = mapped_column(String(40))
    rubric_yaml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeadSubmissionRow(Base):
    """A later submission of a lead's person from another source (same e-mail, within
    LEADBOT_SAME_PERSON_DAYS), merged into the lead: its own dedupe key, as it was sent."""

    __tablename__ = "lead_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutcomeRow(Base):
    """How a lead ended (won, lost, no response), from Slack or a CRM export; the newest row
    of a lead is its outcome, older ones stay as the record of corrections."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(20))  # "slack" or "import"
    occurred_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
