"""The one line a manager reads first: which rubric ranks better, by how much, what reps get.

A pure function of a `BacktestReport`, so the CLI, the HTML report and the App Home say the same
thing about the same leads.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from qualifiers.backtest import BacktestReport, RubricMetrics
from qualifiers.rubric import DISQUALIFIED

SAME_RANKING = 0.005  # AUCs closer than this rank "about the same"


class WorkedLeads(BaseModel):
    """What the tiers reps work (all but the lowest) hold under one rubric."""

    tiers: list[str]
    leads: int
    converted: int
    recall: float | None = Field(description="Share of all conversions in the worked tiers")


class Verdict(BaseModel):
    text: str
    better: str | None = Field(description="Name of the rubric that ranks better; None if tied")
    auc_gain: float | None = Field(description="AUC of the back-tested rubric minus --against's")
    changed_tier: int = 0
    moved_up: int = 0
    moved_down: int = 0
    worked: WorkedLeads
    against_worked: WorkedLeads | None = None


def worked_leads(metrics: RubricMetrics) -> WorkedLeads:
    tiers = metrics.qualified_tiers
    leads = sum(metrics.tiers[t].leads for t in tiers if t in metrics.tiers)
    converted = sum(metrics.tiers[t].converted for t in tiers if t in metrics.tiers)
    recall = converted / metrics.positives if metrics.positives else None
    return WorkedLeads(tiers=tiers, leads=leads, converted=converted, recall=recall)


def tier_order(metrics: RubricMetrics) -> list[str]:
    """Best tier first, knocked-out leads last."""
    return [*metrics.thresholds, DISQUALIFIED]


def moves_up_and_down(report: BacktestReport) -> tuple[int, int]:
    """Leads moving to a better / worse tier; (0, 0) when the rubrics' tiers differ."""
    against = report.against
    if against is None or tier_order(against) != tier_order(report.primary):
        return 0, 0
    rank = {tier: position for position, tier in enumerate(tier_order(report.primary))}
    up = down = 0
    for move, count in report.changed_tier.items():
        old, new = move.split(" -> ")
        if old in rank and new in rank:
            up += count if rank[new] < rank[old] else 0
            down += count if rank[new] > rank[old] else 0
    return up, down


def verdict(report: BacktestReport) -> Verdict:
    primary, against = report.primary, report.against
    worked = worked_leads(primary)
    if against is None:
        return Verdict(text=_single(primary, worked), better=None, auc_gain=None, worked=worked)
    against_worked = worked_leads(against)
    gain = None if primary.auc is None or against.auc is None else primary.auc - against.auc
    better: str | None = None
    if gain is None or abs(gain) < SAME_RANKING:
        ranking = f"{primary.rubric.name} and {against.rubric.name} rank leads about the same"
    else:
        winner, loser = (primary, against) if gain > 0 else (against, primary)
        better = winner.rubric.name
        ranking = f"{better} ranks leads better than {loser.rubric.name}"
    moved = sum(report.changed_tier.values())
    up, down = moves_up_and_down(report)
    parts = [f"{ranking}: ROC AUC {_auc(primary.auc)} vs {_auc(against.auc)}{_gain(gain)}."]
    reps = f"For reps: {moved:,} of {primary.rows:,} leads ({_share(moved, primary.rows)})"
    reps += " change tier"
    if up or down:
        reps += f" ({up:,} up, {down:,} down)"
    reps += (
        f"; {'+'.join(worked.tiers)} would hold {worked.leads:,} leads instead of "
        f"{against_worked.leads:,} ({worked.leads - against_worked.leads:+,}), catching "
        f"{_percent(worked.recall)} of conversions instead of {_percent(against_worked.recall)}."
    )
    parts.append(reps)
    return Verdict(
        text=" ".join(parts),
        better=better,
        auc_gain=gain,
        changed_tier=moved,
        moved_up=up,
        moved_down=down,
        worked=worked,
        against_worked=against_worked,
    )


def _single(metrics: RubricMetrics, worked: WorkedLeads) -> str:
    text = f"{metrics.rubric.name}: ROC AUC {_auc(metrics.auc)} (0.5 is a coin toss)"
    best = next(iter(metrics.tiers.items()), None)
    if best is not None and best[1].rate is not None and metrics.rows:
        text += (
            f"; {best[0]} leads convert at {_percent(best[1].rate)} against "
            f"{_percent(metrics.positives / metrics.rows)} overall"
        )
    return text + (
        f". For reps: {'+'.join(worked.tiers)} holds {worked.leads:,} of {metrics.rows:,} leads "
        f"({_share(worked.leads, metrics.rows)}), catching {_percent(worked.recall)} of "
        "conversions."
    )


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _gain(gain: float | None) -> str:
    return "" if gain is None else f" ({gain:+.3f})"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _share(part: int, whole: int) -> str:
    return _percent(part / whole if whole else None)


def mover_lines(report: BacktestReport, limit: int = 10) -> Sequence[str]:
    """The first leads that change tier, named by their id, for a reader to look up."""
    return [
        f"{change.lead_id}: {change.from_tier} -> {change.to_tier}"
        f" ({'converted' if change.converted else 'not converted'})"
        for change in report.changes[:limit]
    ]
