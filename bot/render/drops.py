"""The replies in a CSV file's thread (how many leads it held and by tier, why it was not
read, or the question to confirm a large file) and the file's digest in the sales channel
(Slack mrkdwn, escaped)."""

from __future__ import annotations

from collections import Counter

from bot.domain.lifecycle import DISQUALIFIED_TIER
from bot.render.kit import button, mention, safe, section
from bot.store.repository import StoredLead
from qualifiers.models import Qualification

MAX_ERRORS_SHOWN = 10
ACTION_CONFIRM_DROP = "csv_drop_confirm"
BLOCK_CONFIRM_DROP = "csv_drop_confirm"


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
    text = f"📄 `{safe(name, 100)}`: {_count(len(received), 'lead')} received"
    tiers = tier_counts(received, tier_order)
    if tiers:
        text += f" ({tiers})"
    repeated = sum(not created for _, _, created in received)
    if repeated:
        text += f", {repeated} of them already received earlier (not posted again)"
    if not errors:
        return text + "."
    lines = [f"• {safe(error, 300)}" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"…and {len(errors) - MAX_ERRORS_SHOWN} more")
    return f"{text}; {_count(len(errors), 'row')} had errors:\n" + "\n".join(lines)


def tier_counts(
    received: list[tuple[StoredLead, Qualification, bool]], tier_order: list[str]
) -> str:
    """ "hot 1, warm 2", in the rubric's order of tiers."""
    counts = Counter(qualification.tier for _, qualification, _ in received)
    order = [*tier_order, DISQUALIFIED_TIER]
    tiers = sorted(counts, key=lambda tier: order.index(tier) if tier in order else len(order))
    return ", ".join(f"{tier.replace('_', ' ')} {counts[tier]}" for tier in tiers)


def digest_text(
    name: str,
    user: str | None,
    received: list[tuple[StoredLead, Qualification, bool]],
    tier_order: list[str],
) -> str:
    """The one message a CSV drop posts in the sales channel; below the top tier, the
    rows' summaries are in its thread."""
    by = f" from {mention(user)}" if user else ""
    return (
        f"📄 `{safe(name, 100)}`{by}: {_count(len(received), 'lead')} "
        f"({tier_counts(received, tier_order)}). "
        f"{_tier_label(tier_order[0])} leads are posted on their own; "
        "the others' summaries are in this thread."
    )


def confirm_drop_text(name: str, rows: int, cap: int) -> str:
    return (
        f"📄 `{safe(name, 100)}` has {rows:,} rows, more than the {cap:,} a file may have "
        "without asking. Nothing is stored or posted yet. Import all its rows? The sales "
        "channel gets one digest; only the top tier's leads are posted on their own."
    )


def confirm_drop_blocks(name: str, rows: int, cap: int, value: str) -> list[dict]:
    """The question, with the button whose `value` names the file again (a FileDrop)."""
    return [
        section(confirm_drop_text(name, rows, cap)),
        {
            "type": "actions",
            "block_id": BLOCK_CONFIRM_DROP,
            "elements": [
                button(f"Import {rows:,} rows", ACTION_CONFIRM_DROP, value, style="primary")
            ],
        },
    ]


def too_many_rows_reason(rows: int, hard_max: int) -> str:
    return (
        f"It has {rows:,} rows; at most {hard_max:,} are read from one file. "
        f"Split it into files of up to {hard_max:,} rows"
    )


def _tier_label(tier: str) -> str:
    label = tier.replace("_", " ")
    return label[:1].upper() + label[1:]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
