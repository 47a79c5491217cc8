"""Durable work items: what must still happen to a lead (qualify, post, update, notify).

Work is written to the database before Slack is acknowledged, in the same transaction as
the change that calls for it (`WorkOutbox`), and taken by a worker with a lease
(`WorkQueue`), so a crash, a restart or a Slack outage delays work but never loses it. At
most one item per lead is leased at a time, so a lead's messages are never posted or edited
by two threads at once.

A lease is short (about 30 s) and renewed while its item runs; it names its owner, and only
the owner may finish the item or put it back, so a worker that lost its lease (paused, cut
off from the database) cannot overwrite what the next owner did. Work held by a crashed
process is taken again once its lease runs out, or at once when the crashed process ran on
this machine: the owner token names the host and process, and a worker releases leases whose
process on its own host no longer runs (`release_orphans`).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.domain.work import WorkMessage
from bot.store.database import Database, insert_new, utcnow
from bot.store.tables import LeadRow, WorkItemRow

LEASE_CANDIDATES = 8


class WorkItem(BaseModel):
    id: int
    kind: str
    lead_id: int | None
    payload: dict
    attempts: int
    owner: str = ""

    def message(self) -> WorkMessage:
        """The typed message this row holds (`LookupError` for an unknown kind)."""
        return WorkMessage.load(self.kind, self.lead_id, self.payload)


class FailedWork(BaseModel):
    """Work that stopped for good: shown to managers (App Home, `leadbot stats`)."""

    id: int
    kind: str
    lead_id: int | None
    attempts: int
    error_class: str | None
    error: str | None
    failed_at: datetime


class QueueHealth(BaseModel):
    """What `/healthz` reads: work waiting too long and work failing recently."""

    pending: int
    stuck: int  # due longer than the stuck threshold and not running
    oldest_due_seconds: float
    failed_recently: int
    retrying: int  # tried at least three times and still not done


HOST_NAME_CHARS = 32  # the owner column holds 80: host, process id and a random part


def this_host() -> str:
    return socket.gethostname()[:HOST_NAME_CHARS]


def new_owner() -> str:
    """A lease owner token, unique per lease: `host/pid/random`."""
    return f"{this_host()}/{os.getpid()}/{uuid.uuid4().hex[:16]}"


def process_running(pid: int) -> bool:
    """Whether `pid` is a live process here (a zombie, killed and not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): os.kill said it runs


def orphaned_on(host: str, owner: str | None, running: Callable[[int], bool]) -> bool:
    """Whether a lease `owner` names a process on `host` that no longer runs."""
    parts = (owner or "").split("/")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    return not running(int(parts[1]))


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
        priority: int | None = None,
    ) -> bool:
        """Add work, due now or after `delay`; with a `dedupe_key` already used, nothing is
        added. `priority` (default: the message's) orders due work, higher first. Returns
        whether added."""
        values = {
            "kind": message.kind,
            "lead_id": message.lead_id,
            "payload": message.payload(),
            "dedupe_key": dedupe_key,
            "due_at": self.clock() + (delay or timedelta()),
            "attempts": 0,
            "priority": message.default_priority if priority is None else priority,
        }
        key = None if dedupe_key is None else "dedupe_key"
        if insert_new(self.session, WorkItemRow, values, key) is None:
            return False
        self.added += 1
        return True


class WorkQueue:
    """The worker's side: lease due work, renew, finish, retry later or fail it."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.clock = clock  # tests move it forward to make scheduled work due without waiting

    def enqueue(
        self,
        message: WorkMessage,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
        priority: int | None = None,
    ) -> bool:
        """Add work on its own, outside any use case (tests, tools)."""
        with self.database.session() as session:
            added = WorkOutbox(session, clock=self.clock).add(
                message, dedupe_key=dedupe_key, delay=delay, priority=priority
            )
            session.commit()
            return added

    def lease(self, seconds: float, owner: str | None = None) -> WorkItem | None:
        """Take the most urgent due item (highest priority, then earliest due) whose lead
        has no other leased item, for `seconds`, as `owner` (default: a new token)."""
        owner = owner or new_owner()
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        with self.database.session() as session:
            if self.database.dialect == "postgresql":
                row = self._lease_skip_locked(session, now, until, owner)
            else:
                row = self._lease_checked(session, now, until, owner)
            if row is None:
                return None
            return WorkItem(
                id=row.id,
                kind=row.kind,
                lead_id=row.lead_id,
                payload=row.payload or {},
                attempts=row.attempts,
                owner=owner,
            )

    def renew(self, item: WorkItem, seconds: float) -> bool:
        """Extend a running item's lease (the heartbeat); False when it is no longer ours."""
        until = self.clock() + timedelta(seconds=seconds)
        return self._set_owned(item, lease_until=until)

    def finish(self, item: WorkItem) -> bool:
        """Mark done; refused (False) when the lease has passed to another owner."""
        return self._set_owned(item, done_at=self.clock(), lease_until=None, last_error=None)

    def retry_later(
        self,
        item: WorkItem,
        delay_seconds: float,
        error: str,
        error_class: str | None = None,
        *,
        priority: int | None = None,
    ) -> bool:
        """Release the lease and make the item due again after `delay_seconds`, from then
        on at `priority` when given."""
        values = {
            "due_at": self.clock() + timedelta(seconds=delay_seconds),
            "lease_until": None,
            "owner": None,
            "last_error": error[:2000],
            "error_class": error_class,
        }
        if priority is not None:
            values["priority"] = priority
        return self._set_owned(item, **values)

    def fail(self, item: WorkItem, error: str, error_class: str) -> bool:
        """Stop the item for good: it is listed as failed and never taken again."""
        now = self.clock()
        return self._set_owned(
            item,
            done_at=now,
            failed_at=now,
            lease_until=None,
            last_error=error[:2000],
            error_class=error_class,
        )

    def release_orphans(self, running: Callable[[int], bool] = process_running) -> int:
        """Make work leased by a crashed process of this host due again now, instead of
        when its lease runs out. Returns how many items were released."""
        host = this_host()
        now = self.clock()
        with self.database.session() as session:
            leased = session.execute(
                select(WorkItemRow.id, WorkItemRow.owner).where(
                    WorkItemRow.done_at.is_(None),
                    WorkItemRow.lease_until >= now,
                    WorkItemRow.owner.like(f"{host}/%"),
                )
            ).all()
            orphans = [row.id for row in leased if orphaned_on(host, row.owner, running)]
            if not orphans:
                return 0
            released = session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id.in_(orphans), WorkItemRow.lease_until >= now)
                .values(lease_until=None, owner=None)
            )
            session.commit()
            return released.rowcount or 0

    def pending(self) -> int:
        """Items not done yet: due, or tried and waiting to be retried. Work scheduled for
        later and never tried (an SLA reminder) counts only once it is due."""
        started = or_(WorkItemRow.attempts > 0, WorkItemRow.due_at <= self.clock())
        query = select(func.count(WorkItemRow.id)).where(WorkItemRow.done_at.is_(None), started)
        with self.database.session() as session:
            return session.scalar(query) or 0

    def failed(self, limit: int = 10) -> tuple[int, list[FailedWork]]:
        """How many items failed for good, and the latest `limit` of them."""
        with self.database.session() as session:
            total = session.scalar(
                select(func.count(WorkItemRow.id)).where(WorkItemRow.failed_at.is_not(None))
            )
            rows = session.scalars(
                select(WorkItemRow)
                .where(WorkItemRow.failed_at.is_not(None))
                .order_by(WorkItemRow.failed_at.desc(), WorkItemRow.id.desc())
                .limit(limit)
            ).all()
            return total or 0, [
                FailedWork(
                    id=row.id,
                    kind=row.kind,
                    lead_id=row.lead_id,
                    attempts=row.attempts,
                    error_class=row.error_class,
                    error=row.last_error,
                    failed_at=row.failed_at,
                )
                for row in rows
            ]

    def health(self, *, stuck_seconds: float, failed_window_seconds: float) -> QueueHealth:
        now = self.clock()
        unfinished = WorkItemRow.done_at.is_(None)
        idle = or_(WorkItemRow.lease_until.is_(None), WorkItemRow.lease_until < now)
        with self.database.session() as session:
            pending = session.scalar(
                select(func.count(WorkItemRow.id)).where(unfinished, WorkItemRow.due_at <= now)
            )
            oldest = session.scalar(
                select(func.min(WorkItemRow.due_at)).where(
                    unfinished, WorkItemRow.due_at <= now, idle
                )
            )
            stuck = session.scalar(
                select(func.count(WorkItemRow.id)).where(
                    unfinished,
                    idle,
                    WorkItemRow.due_at <= now - timedelta(seconds=stuck_seconds),
                )
            )
            failed = session.scalar(
                select(func.count(WorkItemRow.id)).where(
                    WorkItemRow.failed_at >= now - timedelta(seconds=failed_window_seconds)
                )
            )
            retrying = session.scalar(
                select(func.count(WorkItemRow.id)).where(unfinished, WorkItemRow.attempts >= 3)
            )
        oldest_seconds = (now - _aware(oldest)).total_seconds() if oldest else 0.0
        return QueueHealth(
            pending=pending or 0,
            stuck=stuck or 0,
            oldest_due_seconds=max(0.0, oldest_seconds),
            failed_recently=failed or 0,
            retrying=retrying or 0,
        )

    def prune(self, retention: timedelta) -> int:
        """Delete work finished (not failed) longer than `retention` ago."""
        cutoff = self.clock() - retention
        with self.database.session() as session:
            deleted = session.execute(
                delete(WorkItemRow).where(
                    WorkItemRow.done_at < cutoff, WorkItemRow.failed_at.is_(None)
                )
            )
            session.commit()
            return deleted.rowcount or 0

    # --- leasing -------------------------------------------------------------------------------

    def _available(self, now: datetime):
        busy = aliased(WorkItemRow)
        return and_(
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

    @staticmethod
    def _urgent_first(query):
        return query.order_by(
            WorkItemRow.priority.desc(), WorkItemRow.due_at, WorkItemRow.id
        ).limit(LEASE_CANDIDATES)

    def _lease_checked(self, session: Session, now, until, owner) -> WorkItemRow | None:
        """SQLite: one writer at a time, so the UPDATE's own check makes the lease safe."""
        available = self._available(now)
        candidates = session.scalars(
            self._urgent_first(select(WorkItemRow.id).where(available))
        ).all()
        for item_id in candidates:
            taken = session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id == item_id, available)
                .values(lease_until=until, owner=owner, attempts=WorkItemRow.attempts + 1)
            )
            session.commit()
            if taken.rowcount == 1:
                return session.get(WorkItemRow, item_id)
        return None

    def _lease_skip_locked(self, session: Session, now, until, owner) -> WorkItemRow | None:
        """PostgreSQL: workers lock candidate rows with FOR UPDATE SKIP LOCKED, so they
        never wait on each other's items; the lead's row is locked before its siblings are
        checked, so two workers never lease two items of one lead at once."""
        available = self._available(now)
        rows = session.scalars(
            self._urgent_first(select(WorkItemRow).where(available)).with_for_update(
                skip_locked=True, of=WorkItemRow
            )
        ).all()
        for row in rows:
            if row.lead_id is not None:
                lead = select(LeadRow.id).where(LeadRow.id == row.lead_id)
                session.execute(lead.with_for_update())
                sibling_busy = session.scalar(
                    select(func.count(WorkItemRow.id)).where(
                        WorkItemRow.lead_id == row.lead_id,
                        WorkItemRow.id != row.id,
                        WorkItemRow.done_at.is_(None),
                        WorkItemRow.lease_until >= now,
                    )
                )
                if sibling_busy:
                    continue
            row.lease_until, row.owner, row.attempts = until, owner, row.attempts + 1
            session.commit()
            return row
        session.rollback()
        return None

    def _set_owned(self, item: WorkItem, **values) -> bool:
        """Update the item only while `item.owner` holds its lease."""
        with self.database.session() as session:
            result = session.execute(
                update(WorkItemRow)
                .where(
                    WorkItemRow.id == item.id,
                    WorkItemRow.owner == item.owner,
                    WorkItemRow.done_at.is_(None),
                )
                .values(**values)
            )
            session.commit()
            return result.rowcount == 1


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
