"""Slack's per-channel limit, kept by every process through the database (SQLite and, when
configured, PostgreSQL), and the record of intents and results of posts."""

from __future__ import annotations

import pytest

from bot.domain.lifecycle import MessageKind
from bot.store.pacing import ChannelPacer
from bot.store.posts import PostIntent
from bot.store.unit_of_work import UnitOfWork


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database(repository):
    return repository


def pacer(database, clock, **options) -> ChannelPacer:
    return ChannelPacer(database, per_second=1.0, burst=4, clock=clock, **options)


def test_a_burst_then_one_a_second_shared_by_every_process(database, clock):
    one, other = pacer(database, clock), pacer(database, clock)
    granted = [p.acquire("C1", urgent=True) for p in (one, other, one, other)]
    assert granted == [0.0] * 4
    assert other.acquire("C1", urgent=True) == pytest.approx(1.0)
    assert one.acquire("C2") == 0.0  # channels are paced apart
    clock.now += 1.0
    assert one.acquire("C1", urgent=True) == 0.0
    assert other.acquire("C1", urgent=True) == pytest.approx(1.0)


def test_hot_leads_keep_the_last_slot_of_the_burst(database, clock):
    paced = pacer(database, clock, reserve=1)
    assert [paced.acquire("C1") for _ in range(3)] == [0.0] * 3
    assert paced.acquire("C1") == pytest.approx(1.0)  # a warm lead waits...
    assert paced.acquire("C1", urgent=True) == 0.0  # ...a hot one takes the reserved slot


def test_retry_after_holds_the_channel_for_everyone(database, clock):
    pacer(database, clock).hold("C1", 30)
    other = pacer(database, clock)
    assert other.acquire("C1", urgent=True) == pytest.approx(30.0)
    clock.now += 30
    assert other.acquire("C1", urgent=True) == 0.0
    assert other.acquire("C1", urgent=True) == pytest.approx(1.0)  # then paced, no burst
    pacer(database, clock).hold("C1", 1)  # a shorter hold never shortens a longer wait
    assert other.acquire("C1", urgent=True) == pytest.approx(1.0)


def test_an_intent_is_recorded_once_and_open_until_its_result(database):
    intent = PostIntent(key="summary:1", kind=MessageKind.SUMMARY, channel="C1")
    with UnitOfWork(database) as tx:
        assert tx.posts.add_intent(intent)
        assert not tx.posts.add_intent(intent)  # another try's: no error, nothing added
    with UnitOfWork(database) as tx:
        [open_intent] = tx.posts.unresolved(since=tx.posts.get("summary:1").created_at, limit=9)
        assert open_intent.location is None
        tx.posts.record("summary:1", "C1", "1.5")
    with UnitOfWork(database) as tx:
        assert tx.posts.get("summary:1").location == ("C1", "1.5")
        assert tx.posts.unresolved(since=open_intent.created_at, limit=9) == []
