"""`leadbot stats`: the lead funnel and model spend of the last days, from the database."""

from __future__ import annotations

import argparse
import json

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import UserError
from bot.render.work import failed_work_text
from bot.settings import Settings
from bot.store.database import Database
from bot.store.stats import (
    DEFAULT_WINDOWS,
    FunnelFigures,
    FunnelStats,
    WindowStats,
    format_minutes,
    format_share,
    funnel_stats,
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
    return "\n\n".join(_window_text(window) for window in stats.windows)


def _window_text(window: WindowStats) -> str:
    lines = [
        f"Last {window.days} days (since {window.since:%Y-%m-%d %H:%M} UTC): {window.leads} leads",
        f"  {_figures_text(window)}",
    ]
    for title, slices in (("By source", window.by_source), ("By marketer", window.by_marketer)):
        if not slices:
            continue
        lines.append(f"  {title}:")
        width = max(len(s.key) for s in slices[:SLICE_LIMIT])
        lines.extend(
            f"    {s.key:<{width}}  {s.leads:>4} leads  {_figures_text(s)}"
            for s in slices[:SLICE_LIMIT]
        )
        if len(slices) > SLICE_LIMIT:
            lines.append(f"    ... and {len(slices) - SLICE_LIMIT} more")
    lines.append("  Qualifications and model usage:")
    if not window.usage:
        lines.append("    none")
    for usage in window.usage:
        name = f"{usage.qualifier} ({usage.model})" if usage.model else usage.qualifier
        lines.append(
            f"    {name}: {usage.qualifications} qualifications, "
            f"{usage.input_tokens:,} input / {usage.output_tokens:,} output tokens, "
            f"${usage.cost_usd:.4f}"
        )
    lines.append(
        f"    total: {window.input_tokens:,} input / {window.output_tokens:,} output tokens, "
        f"${window.cost_usd:.4f}"
    )
    return "\n".join(lines)


def _figures_text(figures: FunnelFigures) -> str:
    tiers = ", ".join(f"{tier} {count}" for tier, count in figures.tiers.items()) or "no leads"
    return (
        f"{tiers} | claimed {figures.claimed}/{figures.claimable} "
        f"({format_share(figures.claimed_share)}), "
        f"median time to claim {format_minutes(figures.median_minutes_to_claim)}"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 day, got {value}")
    return value
