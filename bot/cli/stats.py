"""`leadbot stats`: the lead funnel and model spend of the last days, from the database."""

from __future__ import annotations

import argparse
import json

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import UserError
from bot.render.kit import count_text, money_text
from bot.render.work import failed_work_text
from bot.settings import Settings
from bot.store.database import Database
from bot.store.stats import (
    DEFAULT_WINDOWS,
    Conversion,
    FunnelFigures,
    FunnelStats,
    WindowStats,
    format_minutes,
    format_share,
    funnel_stats,
    handoff_line,
)
from bot.store.work_queue import WorkQueue

SLICE_LIMIT = 10
FAILED_LIMIT = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "stats", help="leads by tier, claims, time to claim and model spend"
    )
    parser.add_argument(
        "--days",
        type=_positive_int,
        help="one window of N days (default: the last 7 and the last 30 days)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    windows = [args.days] if args.days else list(DEFAULT_WINDOWS)
    try:
        database = Database.from_url(settings.database_url)
        stats = funnel_stats(database, windows)
        failed_total, failed = WorkQueue(database).failed(limit=FAILED_LIMIT)
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise UserError(f"cannot read the database {settings.database_url}: {reason}") from None
    if args.format == "json":
        report = stats.model_dump(mode="json")
        report["failed_work"] = {
            "total": failed_total,
            "latest": [item.model_dump(mode="json") for item in failed],
        }
        print(json.dumps(report, indent=2))
    else:
        print(render_text(stats))
        print()
        print(failed_work_text(failed_total, failed))
    return 0


def render_text(stats: FunnelStats) -> str:
    parts = [_window_text(window) for window in stats.windows]
    if stats.handoff:
        parts.append("\n".join(["Hand-off:", *(f"  {handoff_line(e)}" for e in stats.handoff)]))
    return "\n\n".join(parts)


def _window_text(window: WindowStats) -> str:
    lines = [
        f"Last {window.days} days (since {window.since:%Y-%m-%d %H:%M} UTC): "
        f"{count_text(window.leads, 'lead')}",
        f"  {_figures_text(window)}",
    ]
    for title, slices in (("By source", window.by_source), ("By marketer", window.by_marketer)):
        if not slices:
            continue
        lines.append(f"  {title}:")
        width = max(len(s.key) for s in slices[:SLICE_LIMIT])
        lines.extend(
            f"    {s.key:<{width}}  {count_text(s.leads, 'lead'):>10}  {_figures_text(s)}"
            for s in slices[:SLICE_LIMIT]
        )
        if len(slices) > SLICE_LIMIT:
            lines.append(f"    ... and {len(slices) - SLICE_LIMIT} more")
    lines.append("  Qualifications and model usage:")
    if not window.usage:
        lines.append("    none")
    for usage in window.usage:
        qualifications = count_text(usage.qualifications, "qualification")
        if not usage.model:  # the offline rules: no tokens, no spend
            lines.append(f"    {usage.qualifier}: {qualifications}")
            continue
        lines.append(
            f"    {usage.qualifier} ({usage.model}): {qualifications}, "
            f"{usage.input_tokens:,} input / {usage.output_tokens:,} output tokens, "
            f"{money_text(usage.cost_usd)}"
        )
    if any(usage.model for usage in window.usage):
        lines.append(
            f"    total: {window.input_tokens:,} input / {window.output_tokens:,} output tokens, "
            f"{money_text(window.cost_usd)}"
        )
    return "\n".join(lines)


def _figures_text(figures: FunnelFigures) -> str:
    tiers = ", ".join(f"{tier} {count}" for tier, count in figures.tiers.items()) or "no leads"
    text = (
        f"{tiers} | claimed {figures.claimed}/{figures.claimable} "
        f"({format_share(figures.claimed_share)}), "
        f"median time to claim {format_minutes(figures.median_minutes_to_claim)}"
    )
    if figures.conversion.outcomes:
        by_tier = ", ".join(
            f"{tier} {_won(conversion)}" for tier, conversion in figures.conversion_by_tier.items()
        )
        text += f" | won {_won(figures.conversion)}: {by_tier}"
    return text


def _won(conversion: Conversion) -> str:
    return f"{conversion.won}/{conversion.outcomes} ({format_share(conversion.rate)})"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 day, got {value}")
    return value
