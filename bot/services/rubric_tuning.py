"""Tuning the rubric in modals, without YAML: each criterion's points as short lines a
manager edits (`10000..49999 = 15`, `decision_maker = 20`, `yes = 20`), each tier's
threshold, channel and SLA as fields. The edits make a new rubric from the one in force,
written out as YAML and validated like any rubric, then reviewed and applied through the
same draft, diff, back-test and audit path as a replaced rubric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from qualifiers.rubric import NUMERIC_TYPES, Band, Criterion, Rubric, TierRule

_POINTS_LINE = re.compile(r"^\s*([^=]+?)\s*=\s*(-?\d+)\s*$")
_RANGE = re.compile(r"^(-?[\d,_]*)\s*\.\.\s*(-?[\d,_]*)$")


class TuningError(Exception):
    """An edit that cannot be read, for the field it belongs to (`key`: a criterion id, or
    `tier:field` for a tier's min_score, channel or sla_minutes)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class TierEdit:
    min_score: str
    channel: str
    sla_minutes: str
    reps: str = ""  # Slack user ids, space or comma separated: round-robin among them


def points_text(criterion: Criterion) -> str:
    """A criterion's points as the lines the modal shows and reads back."""
    if criterion.type in NUMERIC_TYPES:
        return "\n".join(f"{_range(band)} = {band.points}" for band in criterion.bands)
    if criterion.type == "choice":
        return "\n".join(f"{cid} = {choice.points}" for cid, choice in criterion.choices.items())
    return "\n".join(f"{key} = {points}" for key, points in criterion.points.items())


def _range(band: Band) -> str:
    low = "" if band.min is None else str(band.min)
    high = "" if band.max is None else str(band.max)
    return f"{low}..{high}"


def tuned_rubric(rubric: Rubric, points: dict[str, str], tiers: dict[str, TierEdit]) -> Rubric:
    """`rubric` with the edited points (by criterion id) and tiers (by tier id). Raises
    `TuningError` naming the criterion or tier whose text cannot be read; the result is
    not validated yet (`tuned_yaml` and `parse_rubric` do that)."""
    criteria = [_tuned_criterion(c, points[c.id]) if c.id in points else c for c in rubric.criteria]
    tier_rules = [_tuned_tier(t, tiers[t.id]) if t.id in tiers else t for t in rubric.tiers]
    return rubric.model_copy(update={"criteria": criteria, "tiers": tier_rules})


def tuned_yaml(rubric: Rubric) -> str:
    """The rubric as YAML: the file that is written when the change is applied."""
    content = rubric.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)


def _tuned_criterion(criterion: Criterion, text: str) -> Criterion:
    entries = _points_lines(criterion.id, text)
    if criterion.type in NUMERIC_TYPES:
        bands = [_band(criterion.id, key, value) for key, value in entries]
        return criterion.model_copy(update={"bands": bands})
    if criterion.type == "choice":
        unknown = [key for key, _ in entries if key not in criterion.choices]
        if unknown:
            raise TuningError(
                criterion.id,
                f"unknown choice {unknown[0]!r}: expected {', '.join(criterion.choices)}",
            )
        given = dict(entries)
        choices = {
            cid: choice.model_copy(update={"points": given.get(cid, choice.points)})
            for cid, choice in criterion.choices.items()
        }
        return criterion.model_copy(update={"choices": choices})
    allowed = ("yes", "no") if criterion.type == "yes_no" else ("answered",)
    for key, _ in entries:
        if key not in allowed:
            raise TuningError(criterion.id, f"expected {' or '.join(allowed)}, got {key!r}")
    return criterion.model_copy(update={"points": dict(entries)})


def _points_lines(key: str, text: str) -> list[tuple[str, int]]:
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _POINTS_LINE.match(line)
        if not match:
            raise TuningError(
                key, f"line {number}: expected `what = points`, e.g. `10000..49999 = 15`"
            )
        entries.append((match[1], int(match[2])))
    if not entries:
        raise TuningError(key, "expected at least one `what = points` line")
    return entries


def _band(key: str, text: str, points: int) -> Band:
    match = _RANGE.match(text)
    if not match:
        raise TuningError(
            key, f"expected a range such as `10000..49999`, `50000..` or `..0`, got {text!r}"
        )
    low, high = (_number(part) for part in match.groups())
    return Band(min=low, max=high, points=points)


def _number(text: str) -> int | None:
    text = text.replace(",", "").replace("_", "")
    return int(text) if text not in ("", "-") else None


def _tuned_tier(tier: TierRule, edit: TierEdit) -> TierRule:
    min_score = _whole(f"{tier.id}:min_score", "threshold", edit.min_score)
    if min_score is None:
        raise TuningError(f"{tier.id}:min_score", "threshold: expected a score from 0 to 100")
    sla = _whole(f"{tier.id}:sla_minutes", "SLA", edit.sla_minutes)
    channel = edit.channel.strip() or None
    if channel is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", channel):
        raise TuningError(
            f"{tier.id}:channel",
            f"channel: expected a channel id such as C0123ABCD, got {channel!r}",
        )
    reps = edit.reps.replace(",", " ").split()
    round_robin = bool(reps or tier.usergroup)
    return tier.model_copy(
        update={
            "min_score": min_score,
            "sla_minutes": sla,
            "channel": channel,
            "reps": reps,
            "assign": "round_robin" if round_robin else "claim",
            "claim_window_minutes": tier.claim_window_minutes if round_robin else None,
        }
    )


def _whole(key: str, what: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,6}", text):
        raise TuningError(key, f"{what}: expected a whole number, got {text!r}")
    return int(text)
