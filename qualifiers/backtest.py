"""Back-test: how a rubric would have sorted past leads whose outcomes are known.

The metrics are pure functions of (scores, tiers, outcomes), so the CLI, the HTML report and the
Slack App Home all report the same numbers for the same leads.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel, Field

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import AnswerValue, Lead, Qualification, RubricRef
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import DISQUALIFIED, Rubric

Progress = Callable[[int, int], None]
QUALIFY_CHUNK = 512
FORKED_CHUNK = 2048


class ScoredLead(NamedTuple):
    """The part of a qualification a back-test needs; small, because there may be 45,000."""

    score: int
    tier: str
    values: tuple[AnswerValue | None, ...]

    @classmethod
    def from_qualification(cls, qualification: Qualification) -> ScoredLead:
        return cls(
            score=qualification.score,
            tier=qualification.tier,
            values=tuple(result.value for result in qualification.criteria),
        )


class TierStats(BaseModel):
    leads: int
    converted: int
    rate: float | None = Field(description="converted / leads; null for an empty tier")


class RubricMetrics(BaseModel):
    """One rubric's back-test. `scores`/`tiers_by_lead` feed the charts, not the JSON output."""

    rubric: RubricRef
    rows: int
    positives: int
    auc: float | None = Field(description="ROC AUC of the score; knocked-out leads rank lowest")
    tiers: dict[str, TierStats]
    qualified_tiers: list[str] = Field(description="The tiers precision and recall count as yes")
    thresholds: dict[str, int] = Field(default_factory=dict, description="min_score per tier")
    precision: float | None
    recall: float | None
    top_decile_lift: float | None
    scores: list[int] = Field(default_factory=list, repr=False)
    tiers_by_lead: list[str] = Field(default_factory=list, repr=False)

    def public_dict(self) -> dict:
        """The `leadbot backtest --format json` shape."""
        return {
            "rows": self.rows,
            "positives": self.positives,
            "auc": self.auc,
            "tiers": {tier: stats.model_dump() for tier, stats in self.tiers.items()},
            "precision": self.precision,
            "recall": self.recall,
            "top_decile_lift": self.top_decile_lift,
        }


class TierChange(BaseModel):
    lead_id: str
    from_tier: str
    to_tier: str
    converted: bool


class BacktestReport(BaseModel):
    """A back-test of `primary`, optionally side by side with the rubric it is compared with."""

    primary: RubricMetrics
    against: RubricMetrics | None = None
    changed_tier: dict[str, int] = Field(
        default_factory=dict,
        description="'<against tier> -> <primary tier>': leads, when comparing",
    )
    changes: list[TierChange] = Field(
        default_factory=list, description="The first leads that change tier, for a reader to check"
    )
    labels: list[bool] = Field(default_factory=list, repr=False)

    def public_dict(self) -> dict:
        data = self.primary.public_dict()
        if self.against is not None:
            data["against"] = self.against.public_dict()
            data["changed_tier"] = dict(self.changed_tier)
        return data


# --- metrics ------------------------------------------------------------------------------------


def ranking_keys(scores: Sequence[int], tiers: Sequence[str]) -> np.ndarray:
    """What the rubric ranks leads by: the score, with knocked-out leads below every score."""
    keys = np.asarray(scores, dtype=float)
    if len(keys):
        keys[np.asarray(tiers) == DISQUALIFIED] = -1.0
    return keys


def roc_auc(
    keys: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray
) -> float | None:
    """Mann-Whitney AUC with mid-ranks, so tied scores count half; None without both outcomes."""
    keys = np.asarray(keys, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(keys, kind="mergesort")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    mid_ranks = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    ranks = np.empty(len(keys))
    ranks[order] = np.repeat(mid_ranks, ends - starts)
    rank_sum = ranks[labels].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


def roc_curve(
    keys: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray
) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) per distinct threshold, (0, 0) to (1, 1)."""
    keys = np.asarray(keys, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return []
    order = np.argsort(-keys, kind="mergesort")
    sorted_keys = keys[order]
    true_pos = np.cumsum(labels[order])
    false_pos = np.cumsum(~labels[order])
    last_of_group = np.r_[sorted_keys[1:] != sorted_keys[:-1], True]
    points = [(0.0, 0.0)]
    points += zip(
        (false_pos[last_of_group] / negatives).tolist(),
        (true_pos[last_of_group] / positives).tolist(),
        strict=True,
    )
    return points


def top_fraction_lift(
    keys: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray, fraction: float = 0.1
) -> float | None:
    """Conversion rate of the best-ranked `fraction` of leads over the overall rate.

    Leads tied at the cut-off count in proportion, as if ties were broken at random, so the lift
    of a coarse score does not depend on row order.
    """
    keys = np.asarray(keys, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    if not len(keys) or positives == 0:
        return None
    take = fraction * len(keys)
    _, inverse = np.unique(-keys, return_inverse=True)  # best first
    group_sizes = np.bincount(inverse)
    group_positives = np.bincount(inverse, weights=labels)
    taken = converted = 0.0
    for size, group_converted in zip(group_sizes, group_positives, strict=True):
        share = min(1.0, (take - taken) / size)
        taken += share * size
        converted += share * group_converted
        if taken >= take:
            break
    base_rate = positives / len(keys)
    return float((converted / take) / base_rate)


def qualified_tiers(rubric: Rubric) -> list[str]:
    """The tiers a rep works (hot and warm in the default rubric): all but the lowest."""
    return [tier.id for tier in rubric.tiers[:-1]] or [rubric.tiers[0].id]


def evaluate(rubric: Rubric, scored: Sequence[ScoredLead], labels: Sequence[bool]) -> RubricMetrics:
    """Every back-test metric of one rubric over leads with known outcomes."""
    if len(scored) != len(labels):
        raise ValueError(f"{len(scored)} scored leads but {len(labels)} labels")
    outcome = np.asarray(labels, dtype=bool)
    scores = [lead.score for lead in scored]
    tiers = [lead.tier for lead in scored]
    keys = ranking_keys(scores, tiers)
    leads_per_tier: Counter[str] = Counter(tiers)
    converted_per_tier: Counter[str] = Counter(
        tier for tier, converted in zip(tiers, labels, strict=True) if converted
    )
    tier_ids = [tier.id for tier in rubric.tiers] + [DISQUALIFIED]
    tier_ids += sorted(set(leads_per_tier) - set(tier_ids))
    tier_stats = {
        tier: TierStats(
            leads=leads_per_tier[tier],
            converted=converted_per_tier[tier],
            rate=converted_per_tier[tier] / leads_per_tier[tier] if leads_per_tier[tier] else None,
        )
        for tier in tier_ids
    }
    worked = qualified_tiers(rubric)
    predicted = np.isin(np.asarray(tiers, dtype=object), worked)
    true_positives = int((predicted & outcome).sum())
    positives = int(outcome.sum())
    return RubricMetrics(
        rubric=RubricRef(name=rubric.name, version=rubric.version),
        rows=len(scored),
        positives=positives,
        auc=roc_auc(keys, outcome),
        tiers=tier_stats,
        qualified_tiers=worked,
        thresholds={tier.id: tier.min_score for tier in rubric.tiers},
        precision=true_positives / int(predicted.sum()) if predicted.any() else None,
        recall=true_positives / positives if positives else None,
        top_decile_lift=top_fraction_lift(keys, outcome, 0.1),
        scores=scores,
        tiers_by_lead=tiers,
    )


def tier_changes(
    primary: RubricMetrics,
    against: RubricMetrics,
    labels: Sequence[bool],
    lead_ids: Sequence[str],
    *,
    keep: int = 50,
) -> tuple[dict[str, int], list[TierChange]]:
    """Counts of leads per '<against tier> -> <primary tier>' move, and the first `keep` movers."""
    counts: Counter[str] = Counter()
    examples: list[TierChange] = []
    for lead_id, old, new, converted in zip(
        lead_ids, against.tiers_by_lead, primary.tiers_by_lead, labels, strict=True
    ):
        if old == new:
            continue
        counts[f"{old} -> {new}"] += 1
        if len(examples) < keep:
            examples.append(
                TierChange(lead_id=lead_id, from_tier=old, to_tier=new, converted=converted)
            )
    return dict(counts.most_common()), examples


# --- running ------------------------------------------------------------------------------------


def qualify_all(
    qualifier: Qualifier,
    rubric: Rubric,
    leads: Sequence[Lead],
    progress: Progress | None = None,
    *,
    processes: int = 1,
) -> list[ScoredLead]:
    """Qualify in input order, in chunks (a model-backed qualifier runs each chunk's calls
    concurrently). `processes` > 1 spreads a CPU-bound offline run over forked worker
    processes; it falls back to one process where forking is unsafe (no fork, or threads)."""
    if processes > 1 and len(leads) > FORKED_CHUNK and _can_fork():
        return _qualify_forked(qualifier, rubric, leads, progress, processes)
    scored: list[ScoredLead] = []
    for start in range(0, len(leads), QUALIFY_CHUNK):
        scored.extend(_scored(qualifier, rubric, leads[start : start + QUALIFY_CHUNK]))
        if progress:
            progress(len(scored), len(leads))
    return scored


def _scored(qualifier: Qualifier, rubric: Rubric, leads: Sequence[Lead]) -> list[ScoredLead]:
    return [ScoredLead.from_qualification(q) for q in qualifier.qualify_many(list(leads), rubric)]


def _can_fork() -> bool:
    """A forked child inherits the leads without pickling; with other threads running it
    could inherit a held lock, so then the run stays in one process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


# What forked workers qualify: set just before the pool forks, read by `_qualify_range`.
_forked_job: tuple[Qualifier, Rubric, Sequence[Lead]] | None = None


def _qualify_forked(
    qualifier: Qualifier,
    rubric: Rubric,
    leads: Sequence[Lead],
    progress: Progress | None,
    processes: int,
) -> list[ScoredLead]:
    global _forked_job
    _forked_job = (qualifier, rubric, leads)
    ranges = [(start, start + FORKED_CHUNK) for start in range(0, len(leads), FORKED_CHUNK)]
    scored: list[ScoredLead] = []
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(processes, len(ranges)), mp_context=context) as pool:
            for part in pool.map(_qualify_range, ranges):
                scored.extend(part)
                if progress:
                    progress(len(scored), len(leads))
    finally:
        _forked_job = None
    return scored


def _qualify_range(bounds: tuple[int, int]) -> list[ScoredLead]:
    assert _forked_job is not None, "a forked worker without its job"
    qualifier, rubric, leads = _forked_job
    return _scored(qualifier, rubric, leads[bounds[0] : bounds[1]])


def build_report(
    rubric: Rubric,
    scored: Sequence[ScoredLead],
    labels: Sequence[bool],
    *,
    against: tuple[Rubric, Sequence[ScoredLead]] | None = None,
    lead_ids: Sequence[str] | None = None,
) -> BacktestReport:
    """The report for already-qualified leads."""
    ids = list(lead_ids) if lead_ids is not None else [str(i + 1) for i in range(len(labels))]
    primary = evaluate(rubric, scored, labels)
    report = BacktestReport(primary=primary, labels=list(labels))
    if against is not None:
        against_rubric, against_scored = against
        report.against = evaluate(against_rubric, against_scored, labels)
        report.changed_tier, report.changes = tier_changes(primary, report.against, labels, ids)
    return report


def run_backtest(
    rubric: Rubric,
    labelled_leads: Sequence[tuple[Lead, bool]],
    *,
    qualifier: Qualifier | None = None,
    against: Rubric | None = None,
    progress: Progress | None = None,
    processes: int = 1,
) -> BacktestReport:
    """Qualify every lead under `rubric` (and `against`) and measure against the known outcomes.

    Offline by default; pass a model-backed `qualifier` to back-test what the model would do.
    `processes` > 1 runs an offline back-test on several cores (see `qualify_all`).
    """
    if qualifier is None:
        qualifier = Qualifier(OfflineExtractor())
    leads = [lead for lead, _ in labelled_leads]
    labels = [bool(label) for _, label in labelled_leads]
    rubrics = [rubric] + ([against] if against is not None else [])
    total = len(leads) * len(rubrics)

    def scored_under(which: Rubric, offset: int) -> list[ScoredLead]:
        report_progress = (lambda done, _: progress(offset + done, total)) if progress else None
        return qualify_all(qualifier, which, leads, report_progress, processes=processes)

    scored = scored_under(rubric, 0)
    against_pair = (against, scored_under(against, len(leads))) if against is not None else None
    ids = [lead.id or str(i + 1) for i, lead in enumerate(leads)]
    return build_report(rubric, scored, labels, against=against_pair, lead_ids=ids)
