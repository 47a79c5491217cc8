"""`leadbot rubric check [FILE]` and `leadbot rubric history`: validate a rubric, see which ran."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.cli import rubric_suggest
from bot.cli.common import load_rubric_for_cli
from bot.errors import UserError
from bot.render.text import routing_text
from bot.settings import Settings
from bot.store.database import Database
from bot.store.repository import RubricUsage
from bot.store.rubric_audit import RubricChange, rubric_changes
from bot.store.unit_of_work import UnitOfWork
from qualifiers.rubric import NUMERIC_TYPES, Criterion, Rubric, RubricError, load_rubric

RECENT_CHANGES = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser("rubric", help="check a rubric file or list rubric history")
    commands = parser.add_subparsers(dest="rubric_command", required=True, metavar="SUBCOMMAND")
    check = commands.add_parser(
        "check",
        help="validate a rubric and print a summary",
        description="Validate a rubric YAML file. Prints a summary, or every problem with its "
        "file, line and field (exit code 2). Without FILE: the rubric in force, LEADBOT_RUBRIC "
        "or else the bundled default rubric.",
    )
    check.add_argument(
        "file", metavar="FILE", nargs="?", help="rubric YAML file (default: the rubric in force)"
    )
    check.set_defaults(handler=run_check)
    history = commands.add_parser(
        "history",
        help="rubric versions that qualified stored leads",
        description="Each rubric name and version in the qualifications table, with the first "
        "and last time it was used and how many leads it qualified.",
    )
    history.add_argument("--rubric", help="the rubric in use (default: LEADBOT_RUBRIC)")
    history.set_defaults(handler=run_history)
    rubric_suggest.register(commands)


def run_check(args, settings: Settings) -> int:
    path = args.file or settings.rubric_path
    try:
        rubric = load_rubric(path)
    except RubricError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        count = len(exc.issues)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 2
    print(f"{path}: OK")
    print(rubric_summary(rubric, settings.sales_channel))
    return 0


def rubric_summary(rubric: Rubric, default_channel: str | None = None) -> str:
    """What a manager needs to see to trust a rubric: every criterion, knockout and tier."""
    lines = [f"Rubric {rubric.name!r}, version {rubric.version}"]
    if rubric.description:
        lines.append(f"  {rubric.description}")
    lines.append(f"Criteria ({len(rubric.criteria)}, {rubric.max_points} points in all):")
    for criterion in rubric.criteria:
        required = ", required" if criterion.required else ""
        lines.append(
            f"  {criterion.id} ({criterion.type}{required}): up to {criterion.max_points} points"
            f" - {criterion.label}"
        )
        lines.append(f"      {_scoring_text(criterion)}")
        if criterion.fields:
            lines.append(f"      reads fields: {', '.join(criterion.fields)}")
    if rubric.max_points != 100:
        lines.append(f"  (scores are normalised: {rubric.max_points} points = 100)")
    lines.append(f"Knockouts ({len(rubric.knockouts)}):")
    lines.extend(f"  {knockout.id} - {knockout.label}" for knockout in rubric.knockouts)
    lines.append("Tiers:")
    for tier in rubric.tiers:
        lines.append(
            f"  {tier.id} (score >= {tier.min_score}): "
            f"{routing_text(rubric, tier.id, default_channel)}"
        )
    return "\n".join(lines)


def _scoring_text(criterion: Criterion) -> str:
    if criterion.type in NUMERIC_TYPES:
        return "bands: " + "; ".join(
            f"{band.describe()} -> {band.points}" for band in criterion.bands
        )
    if criterion.type == "choice":
        return "choices: " + "; ".join(
            f"{choice_id} -> {choice.points}" for choice_id, choice in criterion.choices.items()
        )
    return "points: " + "; ".join(f"{key} -> {points}" for key, points in criterion.points.items())


def run_history(args, settings: Settings) -> int:
    current = load_rubric_for_cli(args.rubric or settings.rubric_path)
    try:
        database = Database.from_url(settings.database_url)
        with UnitOfWork(database) as tx:
            usage = tx.leads.rubric_usage()
        changes = rubric_changes(database, limit=RECENT_CHANGES)
    except SQLAlchemyError as exc:
        raise UserError(f"cannot read the database {settings.database_url}: {exc}") from None
    print(history_table(usage, current))
    if changes:
        print()
        print(changes_text(changes))
    return 0


def changes_text(changes: list[RubricChange]) -> str:
    """The audit trail of rubrics replaced or reloaded from Slack, newest first."""
    lines = ["Changes made from Slack (newest first):"]
    lines.extend(
        f"  {change.created_at:%Y-%m-%d %H:%M}  {change.old_version or '-'} -> "
        f"{change.new_version}  by {change.actor}"
        for change in changes
    )
    return "\n".join(lines)


def history_table(usage: list[RubricUsage], current: Rubric) -> str:
    """One line per rubric name and version, oldest first; the one in force is marked."""
    header = ("RUBRIC", "VERSION", "FIRST USED (UTC)", "LAST USED (UTC)", "LEADS", "RUNS", "")
    rows = [
        (
            item.name,
            item.version,
            f"{item.first_at:%Y-%m-%d %H:%M}",
            f"{item.last_at:%Y-%m-%d %H:%M}",
            str(item.leads),
            str(item.qualifications),
            "<- in use" if (item.name, item.version) == (current.name, current.version) else "",
        )
        for item in usage
    ]
    if not any(row[-1] for row in rows):
        rows.append((current.name, current.version, "-", "-", "0", "0", "<- in use (unused)"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
