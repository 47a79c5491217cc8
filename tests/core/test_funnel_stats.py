"""Funnel figures computed from seeded leads, qualifications and claim events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes.store_probe import StoreProbe
from sqlalchemy import update

from bot.store.stats import NO_MARKETER, UNQUALIFIED, funnel_stats
from bot.store.tables import EventRow, LeadRow, QualificationRow
from qualifiers.models import Lead, Qualification, RubricRef, Usage

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def seed_lead(
    repo: StoreProbe,
    text: str,
    *,
    age: timedelta,
    tier: str | None = None,
    claim_after: timedelta | None = None,
    source: str = "slack",
    submitted_by: str | None = "UMARKETER",
    usage: Usage | None = None,
    score: int = 50,
) -> int:
    """A lead received `age` before NOW, optionally qualified and claimed `claim_after` later."""
    stored, _ = repo.add_lead(Lead(text=text, source=source, submitted_by=submitted_by))
    created = NOW - age
    with repo.session() as session:
        session.execute(update(LeadRow).where(LeadRow.id == stored.id).values(created_at=created))
        session.commit()
    if tier is not None:
        qualification = Qualification(
            score=score,
            tier=tier,
            rubric=RubricRef(name="default", version="v1"),
            qualifier="llm" if usage else "offline",
            usage=usage,
        )
        repo.add_qualification(stored.id, qualification)
        with repo.session() as session:
            session.execute(
                update(QualificationRow)
                .where(QualificationRow.lead_id == stored.id)
                .values(created_at=created)
            )
            session.commit()
    if claim_after is not None:
        assert repo.claim(stored.id, "UREP").won
        with repo.session() as session:
            session.execute(
                update(EventRow)
                .where(EventRow.lead_id == stored.id, EventRow.kind == "claimed")
                .values(created_at=created + claim_after)
            )
            session.commit()
    return stored.id


def test_empty_database_gives_zero_figures(repository):
    stats = funnel_stats(repository, now=NOW)

    assert [w.days for w in stats.windows] == [7, 30]
    week = stats.windows[0]
    assert week.leads == 0
    assert week.claimed_share is None
    assert week.median_minutes_to_claim is None
    assert week.usage == []


def test_windows_tiers_claims_and_slices(repository):
    seed_lead(repository, "a", age=timedelta(days=1), tier="hot", claim_after=timedelta(minutes=10))
    seed_lead(repository, "b", age=timedelta(days=2), tier="hot", claim_after=timedelta(minutes=30))
    seed_lead(repository, "c", age=timedelta(days=3), tier="warm", source="cli", submitted_by=None)
    seed_lead(repository, "d", age=timedelta(days=3), tier="disqualified")
    seed_lead(repository, "e", age=timedelta(days=4))
    seed_lead(repository, "f", age=timedelta(days=20), tier="cold", claim_after=timedelta(hours=5))
    seed_lead(repository, "g", age=timedelta(days=45), tier="hot", claim_after=timedelta(minutes=1))

    week, month = funnel_stats(repository, now=NOW).windows

    assert week.leads == 5
    assert week.tiers == {"hot": 2, "warm": 1, "disqualified": 1, UNQUALIFIED: 1}
    assert week.claimable == 3
    assert week.claimed == 2
    assert week.claimed_share == pytest.approx(2 / 3, abs=1e-4)
    assert week.median_minutes_to_claim == pytest.approx(20.0)

    assert month.leads == 6
    assert month.tiers["cold"] == 1
    assert month.claimed == 3
    assert month.median_minutes_to_claim == pytest.approx(30.0)

    by_source = {s.key: s for s in week.by_source}
    assert by_source["slack"].leads == 4
    assert by_source["cli"].leads == 1
    assert by_source["cli"].claimed_share == 0.0
    assert [s.key for s in week.by_source] == ["slack", "cli"]
    by_marketer = {m.key: m for m in week.by_marketer}
    assert by_marketer["UMARKETER"].claimed == 2
    assert by_marketer[NO_MARKETER].leads == 1


def test_tiers_come_in_rank_order_and_a_knocked_out_claim_is_no_claim(repository):
    for text, tier, score in [("a", "cold", 10), ("b", "cold", 20), ("c", "cold", 5)]:
        seed_lead(repository, text, age=timedelta(hours=1), tier=tier, score=score)
    seed_lead(repository, "d", age=timedelta(hours=1), tier="hot", score=90)
    seed_lead(repository, "e", age=timedelta(hours=1), tier="warm", score=50)
    seed_lead(
        repository,
        "f",
        age=timedelta(hours=1),
        tier="disqualified",
        score=95,
        claim_after=timedelta(minutes=5),  # claimed, then knocked out on re-qualifying
    )
    week = funnel_stats(repository, now=NOW).windows[0]
    assert list(week.tiers) == ["hot", "warm", "cold", "disqualified"]  # not by count
    assert (week.claimed, week.claimable) == (0, 5)


def test_latest_qualification_decides_the_tier_and_first_claim_the_time(repository):
    lead_id = seed_lead(repository, "a", age=timedelta(hours=5), tier="cold")
    repository.add_qualification(
        lead_id,
        Qualification(
            score=90, tier="hot", rubric=RubricRef(name="d", version="v2"), qualifier="offline"
        ),
    )
    assert repository.claim(lead_id, "UREP").won
    assert repository.release(lead_id, "UREP")
    assert repository.claim(lead_id, "UOTHER").won
    with repository.session() as session:
        session.execute(
            update(EventRow)
            .where(EventRow.lead_id == lead_id, EventRow.kind == "claimed")
            .values(created_at=NOW - timedelta(hours=4))
        )
        session.commit()

    week = funnel_stats(repository, days=[7], now=NOW).windows[0]

    assert week.tiers == {"hot": 1}
    assert week.claimed == 1
    assert week.median_minutes_to_claim == pytest.approx(60.0)


def test_model_usage_totals_per_qualifier_and_model(repository):
    usage = Usage(model="openai:gpt-4o-mini", input_tokens=1000, output_tokens=200, cost_usd=0.01)
    seed_lead(repository, "a", age=timedelta(days=1), tier="hot", usage=usage)
    seed_lead(repository, "b", age=timedelta(days=2), tier="warm", usage=usage)
    seed_lead(repository, "c", age=timedelta(days=2), tier="cold")
    seed_lead(repository, "d", age=timedelta(days=10), tier="cold", usage=usage)

    week, month = funnel_stats(repository, now=NOW).windows

    llm = next(u for u in week.usage if u.model == "openai:gpt-4o-mini")
    assert (llm.qualifier, llm.qualifications) == ("llm", 2)
    assert (llm.input_tokens, llm.output_tokens) == (2000, 400)
    assert llm.cost_usd == pytest.approx(0.02)
    offline = next(u for u in week.usage if u.model is None)
    assert offline.qualifications == 1
    assert week.input_tokens == 2000
    assert month.input_tokens == 3000
    assert month.cost_usd == pytest.approx(0.03)


def test_rejects_an_empty_window(repository):
    with pytest.raises(ValueError):
        funnel_stats(repository, days=[0], now=NOW)
