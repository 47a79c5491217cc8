"""Block Kit for App Home, the `/leadbot` command and the rubric replace modals.

Pure functions from the rubric and the funnel figures to Slack payload dicts. Texts stay
inside Block Kit's limits (100 blocks per view, 50 per message, 3000 characters per
section); a huge rubric is cut with a note saying what was left out.
"""

from __future__ import annotations

import re

from bot.domain.lifecycle import LeadSource
from bot.render.kit import (
    MAX_MESSAGE_BLOCKS,
    MAX_PASTE_CHARS,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    button,
    context,
    count_text,
    escape,
    escaped_within,
    header,
    mention,
    money_text,
    plain,
    safe,
    section,
    truncate,
)
from bot.render.summary import source_label, tier_label
from bot.render.text import sla_text
from bot.render.work import failed_work_blocks
from bot.services.rubric_changes import OutcomeBacktest, TierShift
from bot.store.stats import (
    Conversion,
    FunnelFigures,
    FunnelStats,
    HandoffFigures,
    RubricRanking,
    SliceFigures,
    WindowStats,
    format_minutes,
    format_share,
    handoff_line,
)
from bot.store.work_queue import FailedWork
from qualifiers.backtest import RubricMetrics
from qualifiers.rubric import NUMERIC_TYPES, Criterion, Rubric

SOURCE_KINDS = frozenset(LeadSource)
ACTION_RUBRIC_RELOAD = "rubric_reload"
ACTION_RUBRIC_REPLACE = "rubric_replace"
ACTION_RUBRIC_TUNE = "rubric_tune"
CALLBACK_RUBRIC_TUNE = "rubric_tune_modal"
BLOCK_TUNE_POINTS = "tune_points:"  # + criterion id
BLOCK_TUNE_TIER = "tune_tier:"  # + tier id + ":" + field
TIER_FIELDS = ("min_score", "channel", "sla_minutes", "reps")
ACTION_TUNE_VALUE = "value"
BLOCK_MANAGER_ACTIONS = "rubric_manager_actions"
CALLBACK_RUBRIC_REPLACE = "rubric_replace_modal"
CALLBACK_RUBRIC_CONFIRM = "rubric_confirm_modal"
BLOCK_RUBRIC_YAML = "rubric_yaml"
ACTION_RUBRIC_YAML = "yaml"
BLOCK_RUBRIC_FILE = "rubric_file"
ACTION_RUBRIC_FILE = "file"

SLICES_SHOWN = 8
ISSUES_SHOWN = 15

HELP_TEXT = (
    "*leadbot* qualifies inbound leads against the team's rubric. Ways to send a lead:\n"
    "• Post it as a message in an intake channel (a screenshot beside the text is fine).\n"
    "• `/lead` opens a form to fill in.\n"
    "• The message shortcut *Qualify as lead* turns any message into a lead.\n"
    "• Share a CSV file in an intake channel: one lead per row, with a header row.\n"
    "• Integrations (HubSpot, Zapier, Workflow Builder) posting in an intake channel, and "
    "web forms through the webhook, are read the same way.\n"
    "*Answer in the lead's thread* when leadbot asks something; a later answer corrects an "
    "earlier one, and `not a knockout` overrides a wrong knockout. Editing or deleting the "
    "message updates or withdraws the lead.\n"
    "• Reps claim leads with the *Claim* button on the summary in the sales channel.\n"
    "• `/leadbot rubric`: the rubric in force. `/leadbot stats`: the last 7 and 30 days.\n"
    "• `/leadbot away` / `/leadbot back`: round-robin passes you over while you are away.\n"
    "• The *Home* tab shows both; managers reload or replace the rubric there."
)


# --- App Home ------------------------------------------------------------------------------


def home_view(
    rubric: Rubric,
    stats: FunnelStats,
    *,
    is_manager: bool,
    default_channel: str | None = None,
    notice: str | None = None,
    ranking: RubricRanking | None = None,
    failed_work: tuple[int, list[FailedWork]] = (0, []),
) -> dict:
    """The Home tab: an optional notice, manager controls and failed work, the funnel, how
    well the rubric ranks the team's outcomes, then the rubric."""
    blocks: list[dict] = [header("leadbot")]
    if notice:
        blocks.append(section(notice))
    if is_manager:
        blocks.extend(manager_controls())
        blocks.extend(failed_work_blocks(*failed_work))
    blocks.append({"type": "divider"})
    blocks.extend(stats_blocks(stats))
    if ranking is not None:
        blocks.append(section(ranking_text(ranking)))
    blocks.append({"type": "divider"})
    room = MAX_VIEW_BLOCKS - len(blocks)
    blocks.extend(rubric_blocks(rubric, default_channel=default_channel, max_blocks=room))
    return {"type": "home", "blocks": blocks}


def manager_controls() -> list[dict]:
    return [
        {
            "type": "actions",
            "block_id": BLOCK_MANAGER_ACTIONS,
            "elements": [
                button("Reload rubric", ACTION_RUBRIC_RELOAD),
                button("Replace rubric", ACTION_RUBRIC_REPLACE),
                button("Tune rubric", ACTION_RUBRIC_TUNE),
            ],
        },
        context(
            "Managers: *Reload rubric* re-reads the rubric file and applies it only if it is "
            "valid. *Replace rubric* takes new YAML, shows a diff and a back-test first. "
            "*Tune rubric* changes points, bands, thresholds, channels and SLAs in a form, "
            "with the same review."
        ),
    ]


def reload_notice(old: Rubric, new: Rubric) -> str:
    if old.version == new.version:
        return f"✅ Rubric file re-read: unchanged (version `{new.version}`)."
    return f"✅ Rubric reloaded: version `{old.version}` → `{new.version}`."


def issues_notice(title: str, issues: list[str]) -> str:
    """Why a rubric was refused, every problem with file:line, inside one section."""
    shown = issues[:ISSUES_SHOWN]
    more = len(issues) - len(shown)
    listing = "\n".join(truncate(issue, 300) for issue in shown)
    text = f"⚠️ *{escape(title)}*\n```{escaped_within(listing, 2500)}```"
    if more:
        text += f"\n…and {more} more"
    return text


# --- rubric --------------------------------------------------------------------------------


def rubric_blocks(
    rubric: Rubric, *, default_channel: str | None = None, max_blocks: int = MAX_MESSAGE_BLOCKS
) -> list[dict]:
    """The rubric in force: criteria with their points, knockouts, tiers with routing and SLA."""
    header = f"*Rubric in force: {safe(rubric.name, 200)}* · version `{rubric.version}`"
    if rubric.description:
        header += f"\n{safe(rubric.description, 500)}"
    blocks = [section(header)]
    criteria_lines = [_criterion_text(criterion) for criterion in rubric.criteria]
    total = f"*Criteria* ({rubric.max_points} points in all"
    total += ", scores scaled to 0–100)" if rubric.max_points != 100 else ")"
    tail = [
        section(_knockouts_text(rubric)),
        section(_tiers_text(rubric, default_channel)),
    ]
    room = max(1, max_blocks - len(blocks) - len(tail))
    blocks.extend(_packed_sections([total, *criteria_lines], room))
    blocks.extend(tail)
    return blocks[:max_blocks]


def rubric_summary_message(rubric: Rubric, default_channel: str | None = None) -> dict:
    """`/leadbot rubric`: an ephemeral message (text is the notification fallback)."""
    return {
        "text": f"Rubric {rubric.name} (version {rubric.version})",
        "blocks": rubric_blocks(rubric, default_channel=default_channel),
    }


def _criterion_text(criterion: Criterion) -> str:
    required = " · required" if criterion.required else ""
    text = (
        f"• *{safe(criterion.label, 150)}* (`{criterion.id}`, {criterion.type}{required}) — "
        f"up to {criterion.max_points} pts\n      {_scoring(criterion)}"
    )
    return truncate(text, 1000)


def _scoring(criterion: Criterion) -> str:
    if criterion.type in NUMERIC_TYPES:
        unit = " months" if criterion.type == "months" else ""
        parts = [f"{band.describe()}{unit}: {band.points}" for band in criterion.bands]
    elif criterion.type == "choice":
        parts = [
            f"{safe(choice.label or choice_id, 80)}: {choice.points}"
            for choice_id, choice in criterion.choices.items()
        ]
    else:
        parts = [f"{key}: {points}" for key, points in criterion.points.items()]
    return escape(" · ".join(parts))


def _knockouts_text(rubric: Rubric) -> str:
    if not rubric.knockouts:
        return "*Knockouts*: none"
    labels = " · ".join(safe(k.label, 100) for k in rubric.knockouts)
    return f"*Knockouts* (any one disqualifies the lead): {labels}"


def _tiers_text(rubric: Rubric, default_channel: str | None) -> str:
    lines = ["*Tiers and routing*"]
    for tier in rubric.tiers:
        line = (
            f"{tier_label(tier.id)}: score ≥ {tier.min_score} → "
            f"{_channel(tier.channel or default_channel)}"
        )
        if tier.sla_minutes:
            line += f" · claim within {sla_text(tier.sla_minutes)}"
        if tier.assign == "round_robin":
            takers = [mention(rep) for rep in tier.reps]
            takers += [f"<!subteam^{tier.usergroup}>"] if tier.usergroup else []
            line += f" · round-robin: {', '.join(takers)}"
        lines.append(line)
    return "\n".join(lines)


def _channel(channel: str | None) -> str:
    if not channel:
        return "the sales channel"
    if re.fullmatch(r"[CG][A-Z0-9]+", channel):
        return f"<#{channel}>"
    return escape(channel)


# --- stats ---------------------------------------------------------------------------------


def stats_blocks(stats: FunnelStats) -> list[dict]:
    """Per window: the funnel, then per source and per marketer, then model usage."""
    blocks: list[dict] = []
    for window in stats.windows:
        blocks.append(section(f"*Last {window.days} days*\n{_figures_text(window)}"))
        for title, slices in (("By source", window.by_source), ("By marketer", window.by_marketer)):
            if slices:
                blocks.append(section(_slices_text(title, slices)))
        blocks.append(context(_usage_text(window)))
    if stats.handoff:
        blocks.append(section(handoff_text(stats.handoff)))
    return blocks


def handoff_text(figures: list[HandoffFigures]) -> str:
    """Deliveries outside Slack; a destination that keeps failing says why."""
    return "\n".join(["*Hand-off*", *(escape(handoff_line(entry)) for entry in figures)])


def stats_message(stats: FunnelStats) -> dict:
    """`/leadbot stats`: an ephemeral message."""
    week = stats.windows[0]
    return {
        "text": f"Last {week.days} days: {count_text(week.leads, 'lead')}",
        "blocks": stats_blocks(stats)[:MAX_MESSAGE_BLOCKS],
    }


def _figures_text(figures: FunnelFigures) -> str:
    if not figures.leads:
        return "No leads."
    tiers = " · ".join(f"{tier_label(tier)} {count}" for tier, count in figures.tiers.items())
    return (
        f"{count_text(figures.leads, 'lead')}: {tiers}\n"
        f"Claimed {figures.claimed} of {figures.claimable} "
        f"({format_share(figures.claimed_share)}) · median time to claim "
        f"{format_minutes(figures.median_minutes_to_claim)}{_outcomes_text(figures)}"
    )


def conversion_text(conversion: Conversion) -> str:
    """ "won 3 of 10 (30%)" of the leads with an outcome."""
    return f"won {conversion.won} of {conversion.outcomes} ({format_share(conversion.rate)})"


def _outcomes_text(figures: FunnelFigures) -> str:
    if not figures.conversion.outcomes:
        return ""
    tiers = " · ".join(
        f"{tier_label(tier)} {conversion_text(conversion)}"
        for tier, conversion in figures.conversion_by_tier.items()
    )
    return f"\nOutcomes: {conversion_text(figures.conversion)} · {tiers}"


def ranking_text(ranking: RubricRanking) -> str:
    """Once enough outcomes exist: how well the rubric in force ranks them."""
    title = f"*How {escape(ranking.rubric)} ranks your outcomes*\n"
    if ranking.auc is None or ranking.tiers is None:
        return title + (
            f"{count_text(ranking.outcomes, 'lead')} with an outcome under this rubric "
            f"({ranking.won} won); a verdict needs {ranking.needed}, won and not. Record "
            "Won / Lost / No response on claimed leads, or `leadbot outcomes import`."
        )
    tiers = "\n".join(
        f"• {tier_label(tier)}: {conversion_text(conversion)}"
        for tier, conversion in ranking.tiers.items()
    )
    return title + (
        f"ROC AUC {ranking.auc:.2f} on {count_text(ranking.outcomes, 'lead')} with an "
        f"outcome (0.5 is a coin toss, 1.0 ranks every won lead first)\n{tiers}"
    )


def _slice_name(key: str) -> str:
    """A slice of the stats: a marketer (a mention), or a source in words."""
    if key in SOURCE_KINDS or key.partition(":")[0] in SOURCE_KINDS:
        return escape(source_label(key))
    return mention(key)


def _slices_text(title: str, slices: list[SliceFigures]) -> str:
    lines = [f"*{title}*"]
    for item in slices[:SLICES_SHOWN]:
        lines.append(
            f"• {_slice_name(item.key)}: {count_text(item.leads, 'lead')} · "
            f"claimed {item.claimed}/{item.claimable} "
            f"({format_share(item.claimed_share)}) · median "
            f"{format_minutes(item.median_minutes_to_claim)}"
            + (f" · {conversion_text(item.conversion)}" if item.conversion.outcomes else "")
        )
    if len(slices) > SLICES_SHOWN:
        lines.append(f"…and {len(slices) - SLICES_SHOWN} more")
    return truncate("\n".join(lines), MAX_SECTION_TEXT)


def _usage_text(window: WindowStats) -> str:
    if not window.usage:
        return "No qualifications."
    parts = [
        f"{safe(u.qualifier, 60)}{f' ({safe(u.model, 80)})' if u.model else ''}: "
        f"{count_text(u.qualifications, 'qualification')}"
        for u in window.usage[:SLICES_SHOWN]
    ]
    if any(u.model for u in window.usage):
        parts.append(
            f"{window.input_tokens:,} input / {window.output_tokens:,} output tokens · "
            f"{money_text(window.cost_usd)}"
        )
    return " · ".join(parts)


# --- rubric replace modals -----------------------------------------------------------------


def replace_rubric_modal(current: Rubric) -> dict:
    """Step 1: paste YAML or upload a file. Nothing changes before the confirmation step."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_RUBRIC_REPLACE,
        "title": plain("Replace rubric"),
        "submit": plain("Review"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"In force: *{safe(current.name, 200)}* · version `{current.version}`.\n"
                "Paste the new rubric YAML (up to 3,000 characters) or upload a `.yaml` file. "
                "You will see a diff and a back-test on stored leads before anything changes."
            ),
            {
                "type": "input",
                "block_id": BLOCK_RUBRIC_YAML,
                "optional": True,
                "label": plain("Rubric YAML"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ACTION_RUBRIC_YAML,
                    "multiline": True,
                    "max_length": MAX_PASTE_CHARS,
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_RUBRIC_FILE,
                "optional": True,
                "label": plain("…or upload a rubric file"),
                "element": {
                    "type": "file_input",
                    "action_id": ACTION_RUBRIC_FILE,
                    "filetypes": ["yaml", "yml", "txt"],
                    "max_files": 1,
                },
            },
        ],
    }


def tune_rubric_modal(rubric: Rubric, points: dict[str, str]) -> dict:
    """Points per criterion (`points`: the editable lines, by criterion id) and each tier's
    threshold, channel and SLA, prefilled with the rubric in force. Submit reviews."""
    blocks: list[dict] = [
        section(
            f"In force: *{safe(rubric.name, 200)}* · version `{rubric.version}`.\n"
            "One `what = points` per line: a range for numbers (`10000..49999 = 15`, "
            "`50000.. = 25`, `..0 = 0`), a choice or yes/no otherwise. You will see the "
            "changes and a back-test before anything applies."
        )
    ]
    for criterion in rubric.criteria:
        blocks.append(
            _tune_input(
                BLOCK_TUNE_POINTS + criterion.id,
                f"{criterion.label} ({criterion.type})",
                points[criterion.id],
                multiline=True,
            )
        )
    for tier in rubric.tiers:
        blocks.append(section(f"*Tier {tier_label(tier.id)}*"))
        prefix = f"{BLOCK_TUNE_TIER}{tier.id}:"
        blocks.append(
            _tune_input(prefix + "min_score", "Lowest score (0-100)", str(tier.min_score))
        )
        blocks.append(
            _tune_input(
                prefix + "channel",
                "Channel id (empty: the sales channel)",
                tier.channel or "",
                optional=True,
            )
        )
        blocks.append(
            _tune_input(
                prefix + "sla_minutes",
                "Claim SLA in minutes (empty: none)",
                str(tier.sla_minutes or ""),
                optional=True,
            )
        )
        blocks.append(
            _tune_input(
                prefix + "reps",
                "Round-robin among these reps (user ids; empty: anyone claims)",
                " ".join(tier.reps),
                optional=True,
            )
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_RUBRIC_TUNE,
        "title": plain("Tune rubric"),
        "submit": plain("Review"),
        "close": plain("Cancel"),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def _tune_input(
    block_id: str, label: str, value: str, *, multiline: bool = False, optional: bool = False
) -> dict:
    element = {"type": "plain_text_input", "action_id": ACTION_TUNE_VALUE, "multiline": multiline}
    if value:
        element["initial_value"] = truncate(value, MAX_PASTE_CHARS)
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(truncate(label, 150)),
        "element": element,
    }


def confirm_rubric_modal(
    *,
    draft_token: str,
    old: Rubric,
    new: Rubric,
    changes: list[str],
    yaml_diff: str,
    backtest: str,
    outcomes: str | None = None,
) -> dict:
    """Step 2: what changes and what it does to stored leads (and, with `outcomes`, how
    both rubrics rank the leads whose outcome is known); applies only on submit."""
    summary = "\n".join(f"• {line}" for line in changes) or "• No scoring changes."
    diff = escaped_within(yaml_diff or "(no text changes)", MAX_SECTION_TEXT - 100)
    return {
        "type": "modal",
        "callback_id": CALLBACK_RUBRIC_CONFIRM,
        "private_metadata": draft_token,
        "title": plain("Confirm new rubric"),
        "submit": plain("Apply rubric"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"*{safe(old.name, 100)}* `{old.version}` → *{safe(new.name, 100)}* `{new.version}`"
            ),
            section(f"*What changes*\n{escaped_within(summary, MAX_SECTION_TEXT - 100)}"),
            *([section(f"*Back-test on outcomes*\n{outcomes}")] if outcomes else []),
            section(f"*Back-test on stored leads*\n{backtest}"),
            section(f"*YAML diff*\n```{diff}```"),
            context("Nothing changes until you press *Apply rubric*."),
        ],
    }


def backtest_text(shift: TierShift, *, requested: int) -> str:
    """Tier counts before → after on stored leads, and how many leads change tier."""
    if not requested:
        return "No stored leads yet, so there is nothing to compare."
    scope = f"the latest {shift.leads} stored leads"
    if not shift.complete:
        scope += f" (of {requested}; time limit reached)"
    lines = [f"Re-scored {scope} under both rubrics with the offline qualifier."]
    tiers = list(dict.fromkeys([*shift.before, *shift.after]))
    lines.append(
        " · ".join(
            f"{tier_label(t)} {shift.before.get(t, 0)} → {shift.after.get(t, 0)}" for t in tiers
        )
    )
    share = shift.changed / shift.leads if shift.leads else 0.0
    lines.append(f"*{shift.changed} leads change tier* ({share:.0%})")
    if shift.moves:
        moves = list(shift.moves.items())[:SLICES_SHOWN]
        lines.append(" · ".join(f"{escape(move)}: {count}" for move, count in moves))
    return "\n".join(lines)


def outcome_backtest_text(result: OutcomeBacktest) -> str:
    """The rubric in force and the draft on leads with an outcome: which ranks them better
    (ROC AUC), and how often each tier's leads were won under each."""
    scope = f"{result.leads} stored leads with an outcome ({result.won} won)"
    if not result.complete:
        scope += f", of {result.requested}: time limit reached"
    if result.before is None or result.after is None:
        return (
            f"{scope}: too few to judge. The back-test on outcomes needs {result.needed} "
            "leads with an outcome, won and not won."
        )
    before, after = result.before.auc or 0.5, result.after.auc or 0.5
    if abs(after - before) < 0.005:
        verdict = f"The draft ranks them as well as the rubric in force (ROC AUC {after:.3f})."
    else:
        better = "better" if after > before else "worse"
        verdict = (
            f"*The draft ranks them {better}*: ROC AUC {after:.3f} vs {before:.3f} "
            f"({after - before:+.3f}) for the rubric in force."
        )
    return "\n".join(
        [
            f"Re-scored {scope} under both rubrics with the offline qualifier.",
            verdict,
            f"In force: {_won_by_tier(result.before)}",
            f"Draft: {_won_by_tier(result.after)}",
        ]
    )


def _won_by_tier(metrics: RubricMetrics) -> str:
    return " · ".join(
        f"{tier_label(tier)} {stats.converted}/{stats.leads} won"
        + (f" ({stats.rate:.0%})" if stats.rate is not None else "")
        for tier, stats in metrics.tiers.items()
        if stats.leads
    )


def message_modal(title: str, text: str) -> dict:
    """A modal that only says something (the outcome of a rubric change, a refusal)."""
    return {
        "type": "modal",
        "title": plain(truncate(title, 24)),
        "close": plain("Close"),
        "blocks": [section(text)],
    }


# --- small builders ------------------------------------------------------------------------


def _packed_sections(lines: list[str], max_sections: int) -> list[dict]:
    """Lines packed into sections of at most 3000 characters; the overflow becomes a note."""
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            sections[-1] += "\n" + line
        else:
            sections.append(truncate(line, MAX_SECTION_TEXT))
    if len(sections) > max_sections:
        kept = sections[: max_sections - 1] if max_sections > 1 else []
        shown = sum(text.count("\n• ") + text.startswith("• ") for text in kept)
        hidden = len(lines) - 1 - shown
        note = f"…{hidden} more criteria not shown; `leadbot rubric check` lists them all."
        return [section(text) for text in kept] + [section(note)]
    return [section(text) for text in sections]
