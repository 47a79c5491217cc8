"""Replacing the rubric from Slack: drafts awaiting confirmation, what changes, and its effect.

A manager's new rubric is held as a draft between the review modal and the confirmation
(modal metadata holds at most 3000 characters, a rubric is often longer). Drafts live in
memory like the rubric in force itself: a restart only means pasting again. The review shows
how the draft moves stored leads between tiers and, once leads have outcomes, how the rubric
in force and the draft rank those leads (`outcome_backtest`).
"""

from __future__ import annotations

import difflib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from qualifiers.backtest import RubricMetrics, ScoredLead, evaluate
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Criterion, Rubric, TierRule

DRAFT_TTL_SECONDS = 3600
MAX_DRAFTS = 100
DIFF_CONTEXT_LINES = 2


@dataclass(frozen=True)
class RubricDraft:
    """A validated rubric a manager reviewed; it applies only on top of `base_version`."""

    user: str
    text: str
    rubric: Rubric
    base_version: str
    created_at: float = field(default_factory=time.monotonic)


class RubricDrafts:
    """Drafts by token, each readable only by the manager who made it, for an hour."""

    def __init__(self, ttl_seconds: float = DRAFT_TTL_SECONDS):
        self._ttl = ttl_seconds
        self._drafts: dict[str, RubricDraft] = {}
        self._lock = threading.Lock()

    def add(self, draft: RubricDraft) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._expire()
            while len(self._drafts) >= MAX_DRAFTS:
                self._drafts.pop(next(iter(self._drafts)))
            self._drafts[token] = draft
        return token

    def take(self, token: str, user: str) -> RubricDraft | None:
        """The draft, removed so it applies once; None when unknown, expired or someone else's."""
        with self._lock:
            self._expire()
            draft = self._drafts.get(token)
            if draft is None or draft.user != user:
                return None
            return self._drafts.pop(token)

    def _expire(self) -> None:
        deadline = time.monotonic() - self._ttl
        for token in [t for t, d in self._drafts.items() if d.created_at < deadline]:
            del self._drafts[token]


# --- what changes ----------------------------------------------------------------------------


def rubric_changes_summary(old: Rubric, new: Rubric) -> list[str]:
    """One line per scoring-relevant change: criteria, knockouts, tiers and routing."""
    lines: list[str] = []
    if old.name != new.name:
        lines.append(f"Name: {old.name} → {new.name}")
    old_criteria = {c.id: c for c in old.criteria}
    new_criteria = {c.id: c for c in new.criteria}
    for criterion in new.criteria:
        before = old_criteria.get(criterion.id)
        if before is None:
            lines.append(
                f"Added criterion *{criterion.label}* ({criterion.type}, "
                f"up to {criterion.max_points} pts)"
            )
        elif before != criterion:
            lines.append(f"*{criterion.label}*: {'; '.join(_criterion_changes(before, criterion))}")
    lines.extend(
        f"Removed criterion *{c.label}* (was up to {c.max_points} pts)"
        for c in old.criteria
        if c.id not in new_criteria
    )
    if old.max_points != new.max_points:
        lines.append(f"Total points: {old.max_points} → {new.max_points}")
    old_knockouts = {k.id: k for k in old.knockouts}
    new_knockouts = {k.id: k for k in new.knockouts}
    for knockout in new.knockouts:
        before = old_knockouts.get(knockout.id)
        if before is None:
            lines.append(f"Added knockout *{knockout.label}*")
        elif before != knockout:
            lines.append(f"Knockout *{knockout.label}*: label, guidance or hints changed")
    lines.extend(
        f"Removed knockout *{k.label}*" for k in old.knockouts if k.id not in new_knockouts
    )
    lines.extend(_tier_changes(old, new))
    return lines


def _criterion_changes(old: Criterion, new: Criterion) -> list[str]:
    changes = []
    if old.type != new.type:
        changes.append(f"type {old.type} → {new.type}")
    if old.max_points != new.max_points:
        changes.append(f"up to {old.max_points} → {new.max_points} pts")
    if (old.bands, old.choices, old.points) != (new.bands, new.choices, new.points):
        changes.append("points changed")
    if old.required != new.required:
        changes.append("now required" if new.required else "no longer required")
    if old.fields != new.fields or old.missing_values != new.missing_values:
        changes.append("fields read changed")
    if old.hints != new.hints or old.parser != new.parser:
        changes.append("offline hints changed")
    if (old.label, old.question, old.guidance) != (new.label, new.question, new.guidance):
        changes.append("wording changed")
    return changes or ["changed"]


def _tier_changes(old: Rubric, new: Rubric) -> list[str]:
    lines = []
    old_tiers = {t.id: t for t in old.tiers}
    new_ids = {t.id for t in new.tiers}
    for tier in new.tiers:
        before = old_tiers.get(tier.id)
        if before is None:
            lines.append(f"Added tier *{tier.id}* (score ≥ {tier.min_score})")
            continue
        if before.min_score != tier.min_score:
            lines.append(f"Tier *{tier.id}*: score ≥ {before.min_score} → ≥ {tier.min_score}")
        if before.channel != tier.channel:
            lines.append(f"Tier *{tier.id}*: channel {before.channel} → {tier.channel}")
        if before.sla_minutes != tier.sla_minutes:
            lines.append(f"Tier *{tier.id}*: SLA {before.sla_minutes} → {tier.sla_minutes} minutes")
        if _assignment(before) != _assignment(tier):
            lines.append(
                f"Tier *{tier.id}*: assignment {_assignment(before)} → {_assignment(tier)}"
            )
    lines.extend(f"Removed tier *{t.id}*" for t in old.tiers if t.id not in new_ids)
    if (old.business_hours, old.rep_hours) != (new.business_hours, new.rep_hours):
        lines.append("Working hours changed (SLAs and round-robin follow them)")
    return lines


def _assignment(tier: TierRule) -> str:
    if tier.assign == "claim":
        return "any rep claims"
    takers = [*tier.reps, *([f"group {tier.usergroup}"] if tier.usergroup else [])]
    window = f", {tier.claim_window_minutes} min each" if tier.claim_window_minutes else ""
    return f"round-robin among {', '.join(takers)}{window}"


def yaml_diff(old_text: str, new_text: str) -> str:
    """A unified diff of the two YAML texts (comments included: managers write them too)."""
    return "\n".join(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old_text.splitlines(),
            new_text.splitlines(),
            "in force",
            "new",
            n=DIFF_CONTEXT_LINES,
            lineterm="",
        )
    )


# --- effect on stored leads ------------------------------------------------------------------


class TierShift(BaseModel):
    """How the same leads sort under the rubric in force and under the new one."""

    leads: int
    before: dict[str, int]
    after: dict[str, int]
    changed: int
    moves: dict[str, int]
    complete: bool


def tier_shift(
    leads: list[Lead],
    old: Rubric,
    new: Rubric,
    qualifier: Qualifier,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TierShift:
    """Re-qualify `leads` (newest first) under both rubrics until `deadline` (a `clock`
    time), checked before every qualification, so a slow lead stops the preview mid-list;
    a lead only half re-scored is left out (`complete` says whether every lead was).

    Both sides use the same `qualifier`, so the comparison shows the rubric's effect only.
    Slack waits 3 seconds for the modal's answer, hence the deadline; the qualifier's own
    per-lead budget bounds the one lead under way when it passes.
    """
    before: list[str] = []
    after: list[str] = []

    def in_time() -> bool:
        return deadline is None or clock() < deadline

    for lead in leads:
        if not in_time():
            break
        old_tier = qualifier.qualify(lead, old).tier
        if not in_time():
            break
        before.append(old_tier)
        after.append(qualifier.qualify(lead, new).tier)
    moves = Counter(f"{b} → {a}" for b, a in zip(before, after, strict=True) if b != a)
    return TierShift(
        leads=len(before),
        before=dict(Counter(before).most_common()),
        after=dict(Counter(after).most_common()),
        changed=sum(moves.values()),
        moves=dict(moves.most_common()),
        complete=len(before) == len(leads),
    )


class OutcomeBacktest(BaseModel):
    """The rubric in force and the draft back-tested on stored leads with an outcome."""

    requested: int = Field(description="Leads with an outcome the preview set out to re-score")
    leads: int = Field(description="Re-scored under both rubrics before the time limit")
    won: int
    needed: int
    before: RubricMetrics | None = Field(description="None: too few outcomes, or one kind only")
    after: RubricMetrics | None

    @property
    def complete(self) -> bool:
        return self.leads == self.requested


def outcome_backtest(
    leads: list[Lead],
    labels: list[bool],
    old: Rubric,
    new: Rubric,
    qualifier: Qualifier,
    *,
    needed: int,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> OutcomeBacktest:
    """Re-qualify leads with known outcomes (`labels`: won) under both rubrics until
    `deadline`, and measure each: ROC AUC and conversion per tier. With fewer than `needed`
    re-scored leads, or only won or only not won among them, there are no metrics."""
    before: list[ScoredLead] = []
    after: list[ScoredLead] = []
    for lead in leads:
        if deadline is not None and clock() >= deadline:
            break
        old_scored = ScoredLead.from_qualification(qualifier.qualify(lead, old))
        if deadline is not None and clock() >= deadline:
            break
        before.append(old_scored)
        after.append(ScoredLead.from_qualification(qualifier.qualify(lead, new)))
    counted = labels[: len(before)]
    result = OutcomeBacktest(
        requested=len(leads),
        leads=len(before),
        won=sum(counted),
        needed=needed,
        before=None,
        after=None,
    )
    if len(before) < needed or all(counted) or not any(counted):
        return result
    return result.model_copy(
        update={"before": evaluate(old, before, counted), "after": evaluate(new, after, counted)}
    )
