"""A qualification as plain terminal text, laid out the way a rep reads the Slack summary.

Shares its wording with bot/render/summary.py (titles, tier labels, value formatting) so the CLI and
Slack never disagree about what a lead is.
"""

from __future__ import annotations

from bot.render.identity import lead_title
from bot.render.kit import truncate
from bot.render.summary import format_value, tier_label
from qualifiers.models import Lead, Qualification
from qualifiers.rubric import Rubric

MAX_EVIDENCE = 90


def render_text(
    qualification: Qualification,
    lead: Lead,
    rubric: Rubric,
    *,
    lead_id: int | str | None = None,
    default_channel: str | None = None,
) -> str:
    """Header, each criterion with its points and evidence, what is missing, where it goes."""
    title = lead_title(lead, lead_id)
    lines = [f"{tier_label(qualification.tier)} · {qualification.score}/100 · {title}"]
    if qualification.knockout:
        knockout = next(
            (k.label for k in rubric.knockouts if k.id == qualification.knockout),
            qualification.knockout,
        )
        lines.append(f"  🚫 Knockout: {knockout}{_evidence(qualification.knockout_evidence)}")
    width = max((len(result.label) for result in qualification.criteria), default=0)
    values = [format_value(rubric, result) for result in qualification.criteria]
    value_width = min(max((len(value) for value in values), default=0), 24)
    for result, value in zip(qualification.criteria, values, strict=True):
        points = f"{result.points}/{result.max_points}"
        lines.append(
            f"  {result.label:<{width}}  {truncate(value, 24):<{value_width}}  {points:>5}"
            f"{_evidence(result.evidence)}"
        )
    if qualification.missing and not qualification.knockout:
        lines.append("  Still missing:")
        for criterion_id in qualification.missing:
            label = next((c.label for c in rubric.criteria if c.id == criterion_id), criterion_id)
            question = qualification.questions.get(criterion_id, "")
            lines.append(f"    • {label}: {question}" if question else f"    • {label}")
    lines.append(f"  {routing_text(rubric, qualification.tier, default_channel)}")
    if qualification.note:
        lines.append(f"  ⚠️ {qualification.note}")
    where = f" · lead {lead_id}" if lead_id is not None else ""
    lines.append(
        f"  rubric {qualification.rubric.name} {qualification.rubric.version}"
        f" · {qualification.qualifier}{where}"
    )
    return "\n".join(lines)


def routing_text(rubric: Rubric, tier_id: str, default_channel: str | None = None) -> str:
    """Where the summary is posted and how soon a rep should claim it, from the rubric's tiers."""
    tier = rubric.tier(tier_id)
    if tier is None:
        return "Not posted to sales (disqualified)"
    channel = tier.channel or default_channel or "the sales channel"
    text = f"Posted to {channel}"
    if tier.sla_minutes:
        text += f" · claim within {sla_text(tier.sla_minutes)}"
    return text


def sla_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _evidence(evidence: str | None) -> str:
    if not evidence:
        return ""
    return f"  “{truncate(' '.join(evidence.split()), MAX_EVIDENCE)}”"
