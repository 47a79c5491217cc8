"""Funnel figures for App Home, `/leadbot stats` and `leadbot stats`.

One query fetches every lead of the widest window with its latest tier and first claim;
the windows, slices and medians are then computed in Python, the same way on SQLite and
PostgreSQL (SQLite has no percentile function).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, bindparam, func, select

from bot.domain.lifecycle import DISQUALIFIED_TIER, EventKind, Outcome
from bot.store.database import Database, utcnow
from bot.store.tables import EventRow, LeadRow, OutcomeRow, QualificationRow, WorkItemRow
from qualifiers.backtest import ScoredLead, evaluate
from qualifiers.rubric import Rubric

DEFAULT_WINDOWS = (7, 30)
UNQUALIFIED = "unqualified"
NO_MARKETER = "(unknown)"
MIN_OUTCOMES_TO_RANK = 20  # leads with an outcome (won and not) before the Home judges the rubric


class Conversion(BaseModel):
    """Of the leads with a recorded outcome, how many were won."""

    outcomes: int
    won: int
    rate: float | None


class FunnelFigures(BaseModel):
    """Counts for a set of leads. `claimable` leads have a tier other than disqualified;
    `conversion` counts the leads with a recorded outcome, as a whole and per tier."""

    leads: int
    tiers: dict[str, int]
    claimable: int
    claimed: int
    claimed_share: float | None
    median_minutes_to_claim: float | None
    conversion: Conversion = Conversion(outcomes=0, won=0, rate=None)
    conversion_by_tier: dict[str, Conversion] = {}


class RubricRanking(BaseModel):
    """How well the rubric in force ranks the leads it qualified that have an outcome; `auc`
    and the tiers are None until `MIN_OUTCOMES_TO_RANK` outcomes, won and not, exist."""

    rubric: str
    outcomes: int
    won: int
    needed: int
    auc: float | None = None
    tiers: dict[str, Conversion] | None = None


class SliceFigures(FunnelFigures):
    """The figures of the leads from one source or one marketer."""

    key: str


class ModelUsage(BaseModel):
    """Qualifications and model spend of one qualifier/model pair."""

    qualifier: str
    model: str | None
    qualifications: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class WindowStats(FunnelFigures):
    """Leads received in the last `days` days, whole and per source and marketer."""

    days: int
    since: datetime
    by_source: list[SliceFigures]
    by_marketer: list[SliceFigures]
    usage: list[ModelUsage]
    input_tokens: int
    output_tokens: int
    cost_usd: float


class HandoffFigures(BaseModel):
    """Deliveries to one outside destination (`bot.crm`): sent, still to send, and of those
    the ones that failed at least once, with the latest error."""

    destination: str
    delivered: int
    pending: int
    failing: int
    last_error: str | None = None


class FunnelStats(BaseModel):
    generated_at: datetime
    windows: list[WindowStats]
    handoff: list[HandoffFigures] = []


@dataclass(frozen=True)
class _LeadFacts:
    source: str
    marketer: str
    created_at: datetime
    tier: str
    score: int
    claimed_at: datetime | None
    outcome: str | None


def funnel_stats(
    database: Database, days: Sequence[int] = DEFAULT_WINDOWS, now: datetime | None = None
) -> FunnelStats:
    """Figures for each window of `days` ending at `now` (default: the current time)."""
    if not days or min(days) < 1:
        raise ValueError("expected windows of at least one day")
    now = _aware(now or utcnow())
    oldest = now - timedelta(days=max(days))
    facts = _lead_facts(database, oldest)
    windows = []
    for window in days:
        since = now - timedelta(days=window)
        in_window = [lead for lead in facts if lead.created_at >= since]
        usage = _model_usage(database, since)
        windows.append(
            WindowStats(
                days=window,
                since=since,
                **_figures(in_window).model_dump(),
                by_source=_slices(in_window, lambda lead: lead.source),
                by_marketer=_slices(in_window, lambda lead: lead.marketer),
                usage=usage,
                input_tokens=sum(u.input_tokens for u in usage),
                output_tokens=sum(u.output_tokens for u in usage),
                cost_usd=round(sum(u.cost_usd for u in usage), 6),
            )
        )
    return FunnelStats(generated_at=now, windows=windows, handoff=handoff_figures(database))


HANDOFF_DESTINATIONS = {"lead_event": "Events", "hubspot_sync": "HubSpot"}


def handoff_figures(database: Database) -> list[HandoffFigures]:
    """One entry per destination that was ever sent anything."""
    row = WorkItemRow
    pending = row.done_at.is_(None)
    failing = and_(pending, row.last_error.is_not(None))
    counts = (
        select(
            row.kind,
            func.count(row.id).filter(row.done_at.is_not(None)),
            func.count(row.id).filter(pending),
            func.count(row.id).filter(failing),
        )
        .where(row.kind.in_(HANDOFF_DESTINATIONS))
        .group_by(row.kind)
    )
    latest_error = (
        select(row.last_error)
        .where(row.kind == bindparam("kind"), failing)
        .order_by(row.id.desc())
        .limit(1)
    )
    with database.session() as session:
        return [
            HandoffFigures(
                destination=HANDOFF_DESTINATIONS[kind],
                delivered=delivered,
                pending=waiting,
                failing=failed,
                last_error=session.scalar(latest_error, {"kind": kind}) if failed else None,
            )
            for kind, delivered, waiting, failed in session.execute(counts)
        ]


def _lead_facts(database: Database, since: datetime) -> list[_LeadFacts]:
    latest = (
        select(QualificationRow.lead_id, func.max(QualificationRow.id).label("qualification_id"))
        .where(QualificationRow.created_at >= since)
        .group_by(QualificationRow.lead_id)
        .subquery()
    )
    first_claim = (
        select(EventRow.lead_id, func.min(EventRow.created_at).label("claimed_at"))
        .where(EventRow.kind == EventKind.CLAIMED, EventRow.created_at >= since)
        .group_by(EventRow.lead_id)
        .subquery()
    )
    outcome = _latest_outcomes()
    query = (
        select(
            LeadRow.source,
            LeadRow.submitted_by,
            LeadRow.created_at,
            QualificationRow.tier,
            QualificationRow.score,
            first_claim.c.claimed_at,
            OutcomeRow.outcome,
        )
        .outerjoin(latest, latest.c.lead_id == LeadRow.id)
        .outerjoin(QualificationRow, QualificationRow.id == latest.c.qualification_id)
        .outerjoin(first_claim, first_claim.c.lead_id == LeadRow.id)
        .outerjoin(outcome, outcome.c.lead_id == LeadRow.id)
        .outerjoin(OutcomeRow, OutcomeRow.id == outcome.c.outcome_id)
        .where(LeadRow.created_at >= since)
    )
    with database.session() as session:
        rows = session.execute(query).all()
    return [
        _LeadFacts(
            source=source,
            marketer=submitted_by or NO_MARKETER,
            created_at=_aware(created_at),
            tier=tier or UNQUALIFIED,
            score=score or 0,
            claimed_at=_aware(claimed_at) if claimed_at else None,
            outcome=outcome,
        )
        for source, submitted_by, created_at, tier, score, claimed_at, outcome in rows
    ]


def _latest_outcomes():
    """Each lead's newest outcome row id (a correction replaces the outcome before it)."""
    return (
        select(OutcomeRow.lead_id, func.max(OutcomeRow.id).label("outcome_id"))
        .group_by(OutcomeRow.lead_id)
        .subquery()
    )


def _conversion(outcomes: Iterable[str | None]) -> Conversion:
    recorded = [outcome for outcome in outcomes if outcome is not None]
    won = recorded.count(Outcome.WON)
    return Conversion(
        outcomes=len(recorded), won=won, rate=round(won / len(recorded), 4) if recorded else None
    )


def rubric_ranking(
    database: Database, rubric: Rubric, needed: int = MIN_OUTCOMES_TO_RANK
) -> RubricRanking:
    """The back-test metrics of the rubric in force on the team's own leads: those whose
    latest qualification is by this rubric version and that have an outcome."""
    latest = (
        select(QualificationRow.lead_id, func.max(QualificationRow.id).label("qualification_id"))
        .group_by(QualificationRow.lead_id)
        .subquery()
    )
    outcome = _latest_outcomes()
    query = (
        select(QualificationRow.score, QualificationRow.tier, OutcomeRow.outcome)
        .join(latest, latest.c.qualification_id == QualificationRow.id)
        .join(outcome, outcome.c.lead_id == QualificationRow.lead_id)
        .join(OutcomeRow, OutcomeRow.id == outcome.c.outcome_id)
        .where(QualificationRow.rubric_version == rubric.version)
    )
    with database.session() as session:
        rows = session.execute(query).all()
    labels = [value == Outcome.WON for _, _, value in rows]
    ranking = RubricRanking(
        rubric=f"{rubric.name} ({rubric.version})",
        outcomes=len(rows),
        won=sum(labels),
        needed=needed,
    )
    if len(rows) < needed or all(labels) or not any(labels):
        return ranking
    metrics = evaluate(rubric, [ScoredLead(score, tier, ()) for score, tier, _ in rows], labels)
    tiers = {
        tier: Conversion(outcomes=stats.leads, won=stats.converted, rate=stats.rate)
        for tier, stats in metrics.tiers.items()
        if stats.leads
    }
    return ranking.model_copy(update={"auc": metrics.auc, "tiers": tiers})


def _figures(leads: Iterable[_LeadFacts]) -> FunnelFigures:
    leads = list(leads)
    tiers = Counter(lead.tier for lead in leads)
    claimable_leads = [lead for lead in leads if lead.tier not in (UNQUALIFIED, DISQUALIFIED_TIER)]
    claimable = len(claimable_leads)
    minutes = [  # a lead knocked out after its claim is neither claimable nor claimed
        (lead.claimed_at - lead.created_at).total_seconds() / 60
        for lead in claimable_leads
        if lead.claimed_at is not None
    ]
    return FunnelFigures(
        leads=len(leads),
        tiers={tier: tiers[tier] for tier in _tier_order(leads)},
        claimable=claimable,
        claimed=len(minutes),
        claimed_share=round(len(minutes) / claimable, 4) if claimable else None,
        median_minutes_to_claim=round(statistics.median(minutes), 1) if minutes else None,
        conversion=_conversion(lead.outcome for lead in leads),
        conversion_by_tier={
            tier: _conversion(lead.outcome for lead in leads if lead.tier == tier)
            for tier in _tier_order(leads)
            if any(lead.tier == tier and lead.outcome for lead in leads)
        },
    )


def _tier_order(leads: list[_LeadFacts]) -> list[str]:
    """Tiers as the rubric ranks them (a higher tier holds higher scores), knocked-out and
    unqualified leads last; the stats need no rubric to say hot, warm, cold."""
    scores: dict[str, list[int]] = {}
    for lead in leads:
        scores.setdefault(lead.tier, []).append(lead.score)
    last = (DISQUALIFIED_TIER, UNQUALIFIED)
    return sorted(
        scores,
        key=lambda tier: (
            tier in last,
            last.index(tier) if tier in last else 0,
            -min(scores[tier]),
        ),
    )


def _slices(leads: list[_LeadFacts], key) -> list[SliceFigures]:
    """One entry per key, busiest first."""
    groups: dict[str, list[_LeadFacts]] = {}
    for lead in leads:
        groups.setdefault(key(lead), []).append(lead)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [SliceFigures(key=name, **_figures(group).model_dump()) for name, group in ordered]


def _model_usage(database: Database, since: datetime) -> list[ModelUsage]:
    query = (
        select(
            QualificationRow.qualifier,
            QualificationRow.model,
            func.count(QualificationRow.id),
            func.coalesce(func.sum(QualificationRow.input_tokens), 0),
            func.coalesce(func.sum(QualificationRow.output_tokens), 0),
            func.coalesce(func.sum(QualificationRow.cost_usd), 0.0),
        )
        .where(QualificationRow.created_at >= since)
        .group_by(QualificationRow.qualifier, QualificationRow.model)
        .order_by(func.count(QualificationRow.id).desc(), QualificationRow.qualifier)
    )
    with database.session() as session:
        rows = session.execute(query).all()
    return [
        ModelUsage(
            qualifier=qualifier,
            model=model,
            qualifications=count,
            input_tokens=int(input_tokens),
            output_tokens=int(output_tokens),
            cost_usd=round(float(cost), 6),
        )
        for qualifier, model, count, input_tokens, output_tokens, cost in rows
    ]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; leadbot stores UTC, so say so."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def handoff_line(entry: HandoffFigures) -> str:
    """`Events: 12 delivered, 3 waiting (3 failing: ...)`: a failing destination says why."""
    line = f"{entry.destination}: {entry.delivered} delivered"
    if entry.pending:
        line += f", {entry.pending} waiting"
    if entry.failing:
        line += f" ({entry.failing} failing: {(entry.last_error or '')[:200]})"
    return line


def format_minutes(minutes: float | None) -> str:
    """A duration a person reads at a glance: `45 min`, `3.5 h`, `2.1 d`."""
    if minutes is None:
        return "n/a"
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def format_share(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"
