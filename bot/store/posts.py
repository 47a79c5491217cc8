"""The record of every bot message: its intent, written before Slack is called, and its
result, written after. An intent without a result means an earlier try may have posted it
(the answer was lost, or the process died): that try's message is looked for in Slack
before anything is posted again."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.lifecycle import MessageKind
from bot.store.database import insert_new, utcnow
from bot.store.tables import SlackPostRow


class PostIntent(BaseModel):
    """A message about to be posted: `key` names it (once per key), in `channel` (a user id
    opens the DM), in the thread `thread_ts` when given."""

    key: str
    kind: MessageKind
    lead_id: int | None = None
    channel: str
    thread_ts: str | None = None


class PostRecord(PostIntent):
    created_at: datetime
    posted_channel: str | None = None
    ts: str | None = None

    @property
    def location(self) -> tuple[str, str] | None:
        return (self.posted_channel, self.ts) if self.posted_channel and self.ts else None


class SlackPostLog:
    """On the caller's session, like the other repositories."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, key: str) -> PostRecord | None:
        row = self.session.scalar(select(SlackPostRow).where(SlackPostRow.key == key))
        return _record(row) if row else None

    def add_intent(self, intent: PostIntent) -> bool:
        """Record the intent; False when one with the same key exists (another try's)."""
        values = intent.model_dump() | {"created_at": utcnow()}
        return insert_new(self.session, SlackPostRow, values, "key") is not None

    def record(self, key: str, channel: str, ts: str) -> None:
        self.session.execute(
            update(SlackPostRow)
            .where(SlackPostRow.key == key)
            .values(posted_channel=channel, ts=ts, posted_at=utcnow())
        )

    def unresolved(self, since: datetime, limit: int) -> list[PostRecord]:
        """Intents since `since` whose result was never recorded, oldest first."""
        rows = self.session.scalars(
            select(SlackPostRow)
            .where(SlackPostRow.ts.is_(None), SlackPostRow.created_at >= since)
            .order_by(SlackPostRow.id)
            .limit(limit)
        )
        return [_record(row) for row in rows]


def _record(row: SlackPostRow) -> PostRecord:
    return PostRecord(
        key=row.key,
        kind=row.kind,
        lead_id=row.lead_id,
        channel=row.channel,
        thread_ts=row.thread_ts,
        created_at=row.created_at,
        posted_channel=row.posted_channel,
        ts=row.ts,
    )
