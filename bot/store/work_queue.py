"""Durable work items: what must still happen to a lead (qualify, post, update, notify).

Work is written to the database before Slack is acknowledged and taken by a worker with a
lease, so a crash, a restart or a Slack outage delays work but never loses it. At most one
item per lead is leased at a time, so a lead's messages are never posted or edited by two
threads at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bot.store.repository import Repository, utcnow
from bot.store.tables import WorkItemRow


class WorkItem(BaseModel):
    id: int
    kind: str
    lead_id: int | None
    payload: dict
    attempts: int


def work_row(
    kind: str,
    lead_id: int | None,
    payload: dict | None = None,
    *,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
) -> WorkItemRow:
    return WorkItemRow(
        kind=kind,
        lead_id=lead_id,
        payload=payload or {},
        dedupe_key=dedupe_key,
        due_at=due_at or utcnow(),
        attempts=0,
    )


class WorkQueue:
    def __init__(self, store: Repository, *, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock  # tests move it forward to make scheduled work due without waiting

    def enqueue(
        self,
        kind: str,
        lead_id: int | None,
        payload: dict | None = None,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
    ) -> bool:
        """Add work, due now or after `delay`; with a `dedupe_key` already used, nothing is
        added. Returns whether added."""
        due_at = self.clock() + (delay or timedelta())
        with self.store.session() as session:
            session.add(work_row(kind, lead_id, payload, dedupe_key=dedupe_key, due_at=due_at))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

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
        with self.store.session() as session:
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
        with self.store.session() as session:
            session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id == item_id)
                .values(done_at=self.clock(), lease_until=None, last_error=None)
            )
            session.commit()

    def retry_later(self, item_id: int, delay_seconds: float, error: str) -> None:
        """Release the lease and make the item due again after `delay_seconds`."""
        with self.store.session() as session:
            session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id == item_id)
                .values(
                    due_at=self.clock() + timedelta(seconds=delay_seconds),
                    lease_until=None,
                    last_error=error[:2000],
                )
            )
            session.commit()

    def pending(self) -> int:
        """Items not done yet: due, or tried and waiting to be retried. Work scheduled for
        later and never tried (an SLA reminder) counts only once it is due."""
        started = or_(WorkItemRow.attempts > 0, WorkItemRow.due_at <= self.clock())
        with self.store.session() as session:
            return (
                session.scalar(
                    select(func.count(WorkItemRow.id)).where(WorkItemRow.done_at.is_(None), started)
                )
                or 0
            )
