"""Group commit: leads arriving while a transaction is written go together in the next one;
each caller is answered with its own lead only once that lead and its work are committed, a
failing lead fails only its own caller, and a commit that fails answers nobody."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.domain.lifecycle import EventKind, LeadSource
from bot.domain.work import ProcessLead
from bot.services.group_commit import GroupCommit
from bot.services.notices import PROCESSING
from bot.services.receive import ReceiveService
from bot.store.database import utcnow
from bot.store.repository import Arrival
from bot.store.unit_of_work import UnitOfWork
from bot.store.work_queue import WorkQueue
from qualifiers.models import Lead

CALLERS = 20


class JoinedQueue(list):
    """A group commit's queue that tells the test each time a caller joins it."""

    def __init__(self):
        super().__init__()
        self.joined = threading.Condition()

    def append(self, item) -> None:
        super().append(item)
        with self.joined:
            self.joined.notify_all()

    def wait_for(self, count: int) -> None:
        with self.joined:
            assert self.joined.wait_for(lambda: len(self) >= count, timeout=10)


class HeldFirstWrite:
    """Holds `group`'s first write until `behind` more callers wait in its queue, so those
    are written together next; records every batch written."""

    def __init__(self, group: GroupCommit, behind: int):
        self.write, self.behind = group.write, behind
        self.queue = JoinedQueue()
        self.started = threading.Event()
        self.batches: list[list] = []
        group._queue, group.write = self.queue, self

    def __call__(self, items):
        self.batches.append(list(items))
        if not self.started.is_set():
            self.started.set()
            self.queue.wait_for(self.behind)
        return self.write(items)


def submit_behind_a_held_write(group: GroupCommit, first, rest) -> tuple[Future, list[Future]]:
    held = HeldFirstWrite(group, len(rest))
    pool = ThreadPoolExecutor(1 + len(rest))
    leader = pool.submit(group.submit, first)
    assert held.started.wait(10)
    followers = [pool.submit(group.submit, item) for item in rest]
    pool.shutdown(wait=True)
    return leader, followers, held.batches


def test_callers_arriving_during_a_write_are_written_together_each_getting_its_own_result():
    group = GroupCommit(lambda items: [item * 10 for item in items])

    leader, followers, batches = submit_behind_a_held_write(group, 0, list(range(1, CALLERS)))

    assert leader.result() == 0
    assert [f.result() for f in followers] == [n * 10 for n in range(1, CALLERS)]
    assert len(batches) == 2 and sorted(batches[1]) == list(range(1, CALLERS))


def test_one_failing_item_fails_only_its_own_caller():
    def write(items):
        if "bad" in items:
            raise ValueError("bad row")
        return [item.upper() for item in items]

    group = GroupCommit(write)
    leader, followers, batches = submit_behind_a_held_write(group, "first", ["a", "bad", "c"])

    assert leader.result() == "FIRST"
    assert followers[0].result() == "A" and followers[2].result() == "C"
    with pytest.raises(ValueError, match="bad row"):
        followers[1].result()
    assert sorted(batches[1]) == ["a", "bad", "c"]  # together first, then each alone
    assert sorted(map(tuple, batches[2:])) == [("a",), ("bad",), ("c",)]


def arrival(n: int, text: str = "CFO at Globex{n}, budget 50k") -> Arrival:
    lead = Lead(text=text.format(n=n), source=LeadSource.SLACK_MESSAGE, submitted_by="UMKT")
    return Arrival(lead, f"slack:CINTAKE:{n}.0", "CINTAKE", f"{n}.0")


def receive_service(repository) -> ReceiveService:
    return ReceiveService(UnitOfWork(repository), None, None, None)  # receive() stores only


def transactions_storing_leads(repository) -> int:
    """How many transactions stored the leads: each gives its leads one `created_at`."""
    with repository.engine.connect() as connection:
        return connection.execute(text("SELECT count(DISTINCT created_at) FROM leads")).scalar()


def test_concurrent_acks_are_all_durable_in_fewer_commits_and_a_retry_is_one_lead(repository):
    receive = receive_service(repository)
    # each of leads 1..9 twice (Slack's retry of an event while the first is being stored)
    rest = [arrival(n) for n in range(1, CALLERS)] + [arrival(n) for n in range(1, 10)]

    leader, followers, _ = submit_behind_a_held_write(receive._arrivals, arrival(0), rest)

    answered = [leader.result(), *(f.result() for f in followers)]
    by_key: dict[str, set[int]] = {}
    for (stored, _created), sent in zip(answered, [arrival(0), *rest], strict=True):
        assert stored.lead.text == sent.lead.text and stored.intake_ts == sent.intake_ts
        by_key.setdefault(sent.dedupe_key, set()).add(stored.id)
    assert all(len(ids) == 1 for ids in by_key.values())  # a retry answers with the same lead
    assert sum(created for _, created in answered) == CALLERS
    assert transactions_storing_leads(repository) == 2  # the held leader's, then the rest
    queue = WorkQueue(repository)
    assert queue.pending() == CALLERS
    processed = set()
    while (item := queue.lease(60)) is not None:
        processed.add(item.message().lead_id)
    assert processed == {stored.id for stored, _ in answered}
    for stored, _ in answered:
        kept = repository.find_by_dedupe_key(f"slack:CINTAKE:{stored.intake_ts}")
        assert (kept.id, kept.lead, kept.intake_channel) == (stored.id, stored.lead, "CINTAKE")
        assert len(repository.events(stored.id, EventKind.RECEIVED)) == 1


@contextlib.contextmanager
def failing_commits(repository):
    """Every commit fails, each the way it can: on SQLite the driver's COMMIT itself, on
    PostgreSQL (where a lone statement commits on its own) a deferred trigger that refuses
    at commit."""
    if repository.engine.dialect.name != "postgresql":
        with repository.engine.connect() as connection:  # SqliteWriterTurns' connection class
            connection_class = type(connection.connection.dbapi_connection)

        def crash(_connection):
            raise sqlite3.OperationalError("disk I/O error")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(connection_class, "commit", crash)
            yield
        return
    with repository.engine.begin() as connection:
        connection.execute(text(REFUSE_COMMIT))
        connection.execute(text(REFUSE_COMMIT_TRIGGER))
    yield
    with repository.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_commit ON leads"))


REFUSE_COMMIT = """CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$"""
REFUSE_COMMIT_TRIGGER = """CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON leads
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"""


def test_a_commit_that_fails_answers_no_caller_and_stores_nothing(repository):
    receive = receive_service(repository)

    with failing_commits(repository):
        leader, followers, batches = submit_behind_a_held_write(
            receive._arrivals, arrival(0), [arrival(n) for n in range(1, 4)]
        )
        for answer in (leader, *followers):
            with pytest.raises(DBAPIError, match="disk I/O error"):
                answer.result()
    assert len(batches) == 2 + 3  # the batch failed, then each of its leads alone
    assert all(repository.find_by_dedupe_key(f"slack:CINTAKE:{n}.0") is None for n in range(4))
    assert WorkQueue(repository).pending() == 0
    assert receive.receive(arrival(0).lead, dedupe_key=arrival(0).dedupe_key)[1]  # and then works


def test_arrivals_stored_together_keep_their_order_and_a_known_key_is_not_created(repository):
    first = arrival(1)
    known, _ = repository.add_lead(
        first.lead, dedupe_key=first.dedupe_key, intake_channel="CINTAKE", intake_ts="1.0"
    )
    uow = UnitOfWork(repository)
    with uow as tx:
        received = tx.leads.add_arrivals([arrival(3), arrival(1), arrival(2), arrival(3)])
    assert [(stored.intake_ts, created) for stored, created in received] == [
        ("3.0", True),
        ("1.0", False),
        ("2.0", True),
        ("3.0", False),
    ]
    assert received[1][0].id == known.id and received[0][0].id == received[3][0].id
    assert received[0][0].lead == repository.get_lead(received[0][0].id).lead
    assert WorkQueue(repository).pending() == 0  # storing a lead queues nothing by itself


def test_the_ack_path_stores_in_order_dedupes_and_queues_each_lead_once(repository):
    first = arrival(1)
    known, _ = repository.add_lead(
        first.lead, dedupe_key=first.dedupe_key, intake_channel="CINTAKE", intake_ts="1.0"
    )
    woken = []
    uow = UnitOfWork(repository, on_work=lambda: woken.append(True))
    received = uow.store_arrivals([arrival(3), arrival(1), arrival(2), arrival(3)], PROCESSING)
    assert [(stored.intake_ts, created) for stored, created in received] == [
        ("3.0", True),
        ("1.0", False),
        ("2.0", True),
        ("3.0", False),
    ]
    assert received[1][0] == repository.get_lead(known.id)
    assert received[0][0].id == received[3][0].id
    assert received[0][0].lead == repository.get_lead(received[0][0].id).lead  # as read back
    assert [e.data for e in repository.events(received[2][0].id, EventKind.RECEIVED)] == [
        {"source": LeadSource.SLACK_MESSAGE}
    ]
    assert woken
    again = uow.store_arrivals([arrival(2), arrival(1)], PROCESSING)  # Slack's retries
    assert [(stored.id, created) for stored, created in again] == [
        (received[2][0].id, False),
        (known.id, False),
    ]
    queue = WorkQueue(repository)
    assert queue.pending() == 3  # the known lead's processing too, and each only once
    leased = [queue.lease(60).message() for _ in range(3)]
    assert {message.lead_id for message in leased} == {known.id, *(s.id for s, _ in received)}
    assert all(isinstance(message, ProcessLead) for message in leased)


def test_a_lead_committed_by_another_writer_during_the_store_is_found_and_queued(repository):
    """Slack's retry of an event whose first delivery is still being written elsewhere: the
    retry waits for that lead's key, finds the lead (not a second one) and queues its work.
    On PostgreSQL the other writer commits while the store's statement waits on the key."""
    first, new = arrival(1), arrival(2)
    receive = receive_service(repository)
    holder = repository.engine.connect()
    other_id = holder.execute(
        text(
            "INSERT INTO leads (dedupe_key, text, fields, source, status, created_at) "
            "VALUES (:key, :text, '{}', 'slack_message', 'received', :now) RETURNING id"
        ),
        {"key": first.dedupe_key, "text": first.lead.text, "now": utcnow()},
    ).scalar()
    postgres = repository.engine.dialect.name == "postgresql"
    if not postgres:
        holder.commit()  # SQLite has one writer: the retry could only come after
    with ThreadPoolExecutor(1) as pool:
        stored = pool.submit(receive._store_arrivals, [first, new])
        if postgres:
            wait_for_a_lock_wait(repository)
            holder.commit()
        (retried, created_again), (fresh, created) = stored.result(timeout=10)
    holder.close()
    assert (retried.id, created_again) == (other_id, False)
    assert retried == repository.find_by_dedupe_key(first.dedupe_key)  # read back whole
    assert created and fresh.id != other_id
    queue = WorkQueue(repository)
    assert queue.pending() == 2
    leased = {queue.lease(60).message().lead_id, queue.lease(60).message().lead_id}
    assert leased == {other_id, fresh.id}


def wait_for_a_lock_wait(repository, timeout: float = 10) -> None:
    """Until a session of this database waits on a lock (the store, on the held key)."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    with repository.engine.connect() as watcher:
        while not watcher.execute(query).scalar():
            assert time.monotonic() < deadline, "the store never waited on the held key"
            watcher.rollback()
