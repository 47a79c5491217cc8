"""The durable work queue and the worker that runs it."""

from __future__ import annotations

import threading

import pytest

from bot.domain.work import ProcessLead, RefreshSummary
from bot.store.work_queue import WorkQueue
from bot.worker import Worker
from qualifiers.models import Lead


def _lead(repo, text: str) -> int:
    stored, _ = repo.add_lead(Lead(text=text))
    return stored.id


def test_one_leased_item_per_lead_in_order_and_dedupe(repo):
    queue = WorkQueue(repo)
    first, second = _lead(repo, "a"), _lead(repo, "b")
    assert queue.enqueue(ProcessLead(lead_id=first), dedupe_key="process:a")
    assert not queue.enqueue(ProcessLead(lead_id=first), dedupe_key="process:a")
    queue.enqueue(RefreshSummary(lead_id=first))
    queue.enqueue(ProcessLead(lead_id=second))

    taken = queue.lease(60)
    assert (taken.kind, taken.lead_id, taken.attempts) == ("process", first, 1)
    other = queue.lease(60)
    assert other.lead_id == second  # the first lead's refresh waits for its process
    assert queue.lease(60) is None
    queue.finish(taken.id)
    assert queue.lease(60).kind == "refresh"
    assert queue.pending() == 2


def test_failed_item_is_retried_after_its_delay_and_expired_leases_return(repo):
    queue = WorkQueue(repo)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    item = queue.lease(60)
    queue.retry_later(item.id, 3600, "DeliveryError: chat.postMessage: internal_error")
    assert queue.lease(60) is None  # not due yet
    queue.retry_later(item.id, 0, "again")
    crashed = queue.lease(0)  # a worker took it and died: the lease is already over
    assert crashed.attempts == 2
    assert queue.lease(60).id == item.id


def test_worker_retries_a_failing_handler_until_it_succeeds(repo):
    queue = WorkQueue(repo)
    failures = iter([RuntimeError("Slack down"), RuntimeError("still down")])
    done = threading.Event()

    def flaky(message, attempts) -> None:
        error = next(failures, None)
        if error:
            raise error
        done.set()

    worker = Worker(queue, {"process": flaky}, threads=2, poll_seconds=0.02)
    worker.retry_base_seconds = 0.01
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    worker.start()
    try:
        worker.wait_until_idle(timeout=10)
    finally:
        worker.stop()
    assert done.is_set() and queue.pending() == 0


def test_worker_idle_timeout_says_what_is_pending(repo):
    queue = WorkQueue(repo)
    queue.enqueue(ProcessLead(lead_id=_lead(repo, "a")))
    worker = Worker(queue, {}, threads=1, poll_seconds=0.02, retry_base_seconds=60)
    worker.start()
    try:
        with pytest.raises(TimeoutError, match="1 work item"):
            worker.wait_until_idle(timeout=0.3)
    finally:
        worker.stop()
