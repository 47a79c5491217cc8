"""The replies in a CSV file's thread: how many leads it held and by tier, or why it was
not read (Slack mrkdwn, escaped)."""

from __future__ import annotations

from collections import Counter

from bot.domain.lifecycle import DISQUALIFIED_TIER
from bot.render.kit import safe
from bot.store.repository import StoredLead
from qualifiers.models import Qualification

MAX_ERRORS_SHOWN = 10


def refusal_text(name: str, reason: str) -> str:
    reason = reason[:1].upper() + reason[1:]
    if not reason.endswith("."):
        reason += "."
    return f"⚠️ I could not read `{safe(name, 100)}`: {safe(reason, 1000)} No leads were stored."


def drop_reply_text(
    name: str,
    received: list[tuple[StoredLead, Qualification, bool]],
    errors: list[str],
    tier_order: list[str],
) -> str:
    """ "3 leads received (hot 1, warm 2); 1 row had errors: line 3: …" for the file's thread."""
    counts = Counter(qualification.tier for _, qualification, _ in received)
    order = [*tier_order, DISQUALIFIED_TIER]
    tiers = sorted(counts, key=lambda tier: order.index(tier) if tier in order else len(order))
    text = f"📄 `{safe(name, 100)}`: {_count(len(received), 'lead')} received"
    if tiers:
        text += " (" + ", ".join(f"{tier.replace('_', ' ')} {counts[tier]}" for tier in tiers) + ")"
    repeated = sum(not created for _, _, created in received)
    if repeated:
        text += f", {repeated} of them already received earlier (not posted again)"
    if not errors:
        return text + "."
    lines = [f"• {safe(error, 300)}" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"…and {len(errors) - MAX_ERRORS_SHOWN} more")
    return f"{text}; {_count(len(errors), 'row')} had errors:\n" + "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
