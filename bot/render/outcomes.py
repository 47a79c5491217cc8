"""`leadbot qualify` and `leadbot demo` output: each outcome in input order as text, JSON
Lines or the Block Kit message the bot would post, and the one-line tally."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TextIO

from bot.domain.lifecycle import DISQUALIFIED_TIER
from bot.render.summary import summary_blocks, summary_text
from bot.render.text import render_text
from bot.services.bulk import Outcome
from qualifiers.rubric import Rubric


def write_outcomes(
    outcomes: Iterable[Outcome],
    output_format: str,
    rubric: Rubric,
    out: TextIO,
    default_channel: str | None = None,
) -> None:
    """Print each outcome in input order. In json and blocks, a failed row is a line with
    `{"id", "error"}` so every input row has exactly one output line."""
    lines = []  # json and blocks: written at once
    for outcome in outcomes:
        entry = outcome.entry
        if output_format == "text":
            if (qualification := outcome.qualification) is not None:
                lead_id = outcome.stored_id or entry.id
                out.write(
                    render_text(
                        qualification,
                        entry.lead,
                        rubric,
                        lead_id=lead_id,
                        default_channel=default_channel,
                    )
                    + "\n\n"
                )
            continue
        if outcome.qualified is None:
            line = json.dumps({"id": entry.id, "error": entry.error}, ensure_ascii=False)
        elif output_format == "json":
            line = outcome.qualified.public_json  # serialised once, where it was qualified
        else:
            line = json.dumps(blocks_message(outcome, rubric), ensure_ascii=False)
        lines.append(line + "\n")
    out.write("".join(lines))


def blocks_message(outcome: Outcome, rubric: Rubric) -> dict:
    """The chat.postMessage payload the bot posts for this lead: fallback text and blocks."""
    lead_id = outcome.stored_id or outcome.entry.id
    lead = outcome.entry.lead
    return {
        "id": outcome.entry.id,
        "text": summary_text(outcome.qualification, lead, lead_id=lead_id),
        "blocks": summary_blocks(outcome.qualification, lead, rubric=rubric, lead_id=lead_id),
    }


def tally_text(outcomes: Sequence[Outcome], rubric: Rubric) -> str:
    """`8 leads: 3 hot, 2 warm, 2 cold, 1 disqualified`, plus failed rows when there are any."""
    tiers = Counter(o.qualified.tier for o in outcomes if o.qualified is not None)
    qualified = sum(tiers.values())
    order = [tier.id for tier in rubric.tiers] + [DISQUALIFIED_TIER]
    text = f"{qualified} lead{'s' if qualified != 1 else ''}"
    if qualified:
        text += ": " + ", ".join(f"{tiers[tier]} {tier}" for tier in order)
    failed = len(outcomes) - qualified
    if failed:
        text += f"; {failed} row{'s' if failed != 1 else ''} failed"
    return text
