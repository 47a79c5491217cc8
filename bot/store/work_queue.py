"""Durable work items: what must still happen to a lead (qualify, post, update, notify).

Work is written to the database before Slack is acknowledged, in the same transaction as
the change that calls for it (`WorkOutbox`), and taken by a worker with a lease
(`WorkQueue`), so a crash, a restart or a Slack outage delays work but never loses it. At
most one item per lead is leased at a time, so a lead's messages are never posted or edited
by two threads at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.domain.work import WorkMessage
from bot.store.database import Database, insert_new, utcnow
from bot.store.tables import WorkItemRow


class WorkItem(BaseModel):
    id: int
    kind: str
    lead_id: int | None
    payload: dict
    attempts: int

    def message(self) -> WorkMessage:
        """The typed message this row holds (`LookupError` for an unknown kind)."""
        return WorkMessage.load(self.kind, self.lead_id, self.payload)


class WorkOutbox:
    """Adds work inside a unit of work; it is committed with the change that made it."""

    def __init__(self, session: Session, *, clock: Callable[[], datetime] = utcnow):
        self.session = session
        self.clock = clock
        self.added = 0

    def add(
        self,
        message: WorkMessage,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
    ) -> bool:
        """Add work, due now or after `delay`; with a `dedupe_key` already used, nothing is
        added. Returns whether added."""
        values = {
            "kind": message.kind,
            "lead_id": message.lead_id,
            "payload": message.payload(),
            "dedupe_key": dedupe_key,
            "due_at": self.clock() + (delay or timedelta()),
            "attempts": 0,
        }
        if dedupe_key is None:
            self.session.add(WorkItemRow(**values))
        elif insert_new(self.session, WorkItemRow, values, "dedupe_key") is None:
            return False
        self.added += 1
        return True


class WorkQueue:
    """The worker's side: lease due work, finish it or retry it later."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.clock = clock  # tests move it forward to make scheduled work due without waiting

    def enqueue(
        self,
        message: WorkMessage,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
    ) -> bool:
        """Add work on its own, outside any use case (tests, tools)."""
        with self.database.session() as session:
            added = WorkOutbox(session, clock=self.clock).add(
                message, dedupe_key=dedupe_key, delay=delay
            )
            session.commit()
            return added

    def lease(self, seconds: float) -> WorkItem | None:
        """Take the oldest due item whose lead has no other leased item, for `seconds`."""
        now = self.clock()
        busy = aliased(WorkItemRow)
        available = and_(
            WorkItemRow.done_at.is_(None),
            WorkItemRow.due_at <= now,
            or_(WorkItemRow.lease_until.is_(None), WorkItemRow.lease_until < now),
            or_(
                WorkItemRow.lead_id.is_(None),
                ~exists().where(
                    busy.lead_id == WorkItemRow.lead_id,
                    busy.id != WorkItemRow.id,
                    busy.done_at.is_(None),
                    busy.lease_until >= now,
                ),
            ),
        )
        with self.database.session() as session:
            candidates = session.scalars(
                select(WorkItemRow.id).where(available).order_by(WorkItemRow.id).limit(8)
            ).all()
            for item_id in candidates:
                taken = session.execute(
                    update(WorkItemRow)
                    .where(WorkItemRow.id == item_id, available)
                    .values(
                        lease_until=now + timedelta(seconds=seconds),
                        attempts=WorkItemRow.attempts + 1,
                    )
                )
                session.commit()
                if taken.rowcount == 1:
                    row = session.get(WorkItemRow, item_id)
                    return WorkItem(
                        id=row.id,
                        kind=row.kind,
                        lead_id=row.lead_id,
                        payload=row.payload or {},
                        attempts=row.attempts,
                    )
        return None

    def finish(self, item_id: int) -> None:
        self._set(item_id, done_at=self.clock(), lease_until=None, last_error=None)

    def retry_later(self, item_id: int, delay_seconds: float, error: str) -> None:
        """Release the lease and make the item due again after `delay_seconds`."""
        due_at = self.clock() + timedelta(seconds=delay_seconds)
        self._set(item_id, due_at=due_at, lease_until=None, last_error=error[:2000])

    def pending(self) -> int:
        """Items not done yet: due, or tried and waiting to be retried. Work scheduled for
        later and never tried (an SLA reminder) counts only once it is due."""
        started = or_(WorkItemRow.attempts > 0, WorkItemRow.due_at <= self.clock())
        query = select(func.count(WorkItemRow.id)).where(WorkItemRow.done_at.is_(None), started)
        with self.database.session() as session:
            return session.scalar(query) or 0

    def _set(self, item_id: int, **values) -> None:
        with self.database.session() as session:
            session.execute(update(WorkItemRow).where(WorkItemRow.id == item_id).values(**values))
            session.commit()
