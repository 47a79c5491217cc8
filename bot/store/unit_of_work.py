"""One unit of work per use case: `with uow as tx:` opens one session, commits once on
success and rolls back on any error. Work queued inside wakes the worker only after the
commit, never inside the transaction.

A `UnitOfWork` is shared by the services of the app; each `with` gives the calling thread
its own transaction, so listeners and worker threads never share a session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.store.arrivals import ArrivalWork, store_arrivals
from bot.store.bulk_insert import BulkLeadWriter
from bot.store.database import Database, utcnow
from bot.store.posts import SlackPostLog
from bot.store.repository import Arrival, LeadRepository, StoredLead
from bot.store.rubric_audit import RubricChangeLog
from bot.store.work_queue import WorkOutbox


class Transaction:
    """What a use case works with inside `with uow as tx:`."""

    def __init__(self, session: Session, clock: Callable[[], datetime]):
        self.session = session
        self.leads = LeadRepository(session)
        self.bulk = BulkLeadWriter(session, self.leads)  # `leadbot qualify` batches
        self.posts = SlackPostLog(session)
        self.work = WorkOutbox(session, clock=clock)
        self.rubric_changes = RubricChangeLog(session)


class UnitOfWork:
    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_work: Callable[[], None] = lambda: None,
        on_transitions: Callable[[Transaction], None] | None = None,
    ):
        self.database = database
        self.clock = clock
        self.on_work = on_work  # the app wakes its worker here
        # The app queues hand-offs (`bot.crm`) here for the moves the transaction recorded.
        self.on_transitions = on_transitions
        self._local = threading.local()

    def __enter__(self) -> Transaction:
        if getattr(self._local, "transaction", None) is not None:
            raise RuntimeError("a use case is one unit of work: do not nest `with uow`")
        transaction = Transaction(self.database.session(), self.clock)
        self._local.transaction = transaction
        return transaction

    def __exit__(self, exc_type, exc, traceback) -> None:
        transaction, self._local.transaction = self._local.transaction, None
        committed = False
        try:
            if exc_type is None:
                if self.on_transitions is not None and transaction.leads.transitions:
                    self.on_transitions(transaction)
                transaction.session.commit()
                committed = True
        finally:
            if not committed:
                transaction.session.rollback()
            transaction.session.close()
        if committed and transaction.work.added:
            self.on_work()

    def store_arrivals(
        self, arrivals: Sequence[Arrival], work: ArrivalWork
    ) -> list[tuple[StoredLead, bool]]:
        """A unit of work of its own for the ack path: store leads that arrived together,
        their events and `work`, committed on return (`bot.store.arrivals`, without a
        session); (lead, created) per arrival. Storing a lead records no hand-off."""
        if getattr(self._local, "transaction", None) is not None:
            raise RuntimeError("a use case is one unit of work: do not nest `with uow`")
        stored = store_arrivals(
            self.database.engine, arrivals, work, now=utcnow(), due_at=self.clock()
        )
        if stored.work_added:
            self.on_work()
        return stored.received
