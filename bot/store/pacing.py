"""Slack's per-channel posting limit (about one message a second after a small burst),
shared by every process through the database, so replicas together stay under it.

GCRA: each channel has a theoretical arrival time `next_at`; a post is allowed while
`next_at` is at most `burst - 1` intervals ahead of now, and moves it one interval on. That
test and the move are one conditional UPDATE. A 429 pushes `next_at` past Retry-After, so
every worker waits. An urgent post (a hot lead) may use the whole burst; the others leave
`reserve` slots for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.database import Database
from bot.store.tables import ChannelPaceRow


class ChannelPacer:
    def __init__(
        self,
        database: Database,
        *,
        per_second: float,
        burst: int,
        reserve: int = 1,
        clock: Callable[[], float] = time.time,
    ):
        self.database = database
        self.interval = 1.0 / per_second
        self.burst = max(1, burst)
        self.reserve = min(max(0, reserve), self.burst - 1)
        self.clock = clock

    def acquire(self, channel: str, *, urgent: bool = False) -> float:
        """Take a slot to post in `channel`: 0.0 when taken, else the seconds to wait."""
        now = self.clock()
        slots = self.burst - 1 - (0 if urgent else self.reserve)
        latest = now + slots * self.interval
        row = ChannelPaceRow
        with self.database.session() as session:
            taken = session.execute(
                update(row)
                .where(row.channel == channel, row.next_at <= latest)
                .values(
                    next_at=case(
                        (row.next_at > now, row.next_at + self.interval),
                        else_=now + self.interval,
                    )
                )
            ).rowcount
            if not taken:
                next_at = session.scalar(select(row.next_at).where(row.channel == channel))
                if next_at is None:
                    values = {"channel": channel, "next_at": now + self.interval}
                    taken = _insert(session, values)
                    next_at = latest if not taken else None
            session.commit()
        return 0.0 if taken else max(next_at - latest, 0.001)

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said 429 with Retry-After `seconds`: nobody posts there before then."""
        until = self.clock() + seconds + (self.burst - 1) * self.interval
        row = ChannelPaceRow
        with self.database.session() as session:
            updated = session.execute(
                update(row)
                .where(row.channel == channel)
                .values(next_at=case((row.next_at < until, until), else_=row.next_at))
            ).rowcount
            if not updated:
                _insert(session, {"channel": channel, "next_at": until})
            session.commit()


def _insert(session: Session, values: dict) -> bool:
    """Insert the channel's row; False when another process inserted it first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ChannelPaceRow)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(ChannelPaceRow.channel)
    )
    return session.execute(statement).scalar() is not None
