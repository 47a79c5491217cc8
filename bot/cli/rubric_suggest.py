"""`leadbot rubric suggest`: new points and tier thresholds fitted to past outcomes.

The original rubric file is never touched; the suggestion is written to `--out` as the original
text with only the numbers changed, so `diff` shows exactly what moved.
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import date
from pathlib import Path

from bot.cli.common import (
    OUTPUT_FORMATS,
    STORED_DATA_NAME,
    ProgressBar,
    add_data_arguments,
    labelled_data,
    load_rubric_for_cli,
    report_skipped,
    rubric_path,
)
from bot.errors import UserError
from bot.settings import Settings
from qualifiers.backtest import qualify_all
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.qualifier import Qualifier
from qualifiers.suggest import Suggestion, suggest


def register(rubric_subparsers) -> None:
    """Adds `suggest` under `leadbot rubric` (called from bot/cli/rubric.py)."""
    parser = rubric_subparsers.add_parser(
        "suggest",
        help="fit points and tier thresholds from past leads with known outcomes",
        description="Qualify past leads offline, fit each answer's points with a regularised "
        "logistic regression (points >= 0, best answers summing to 100), choose thresholds that "
        "keep each tier's share of leads, and write the result to --out. Reports the 5-fold "
        "cross-validated ROC AUC of the original and of the suggestion.",
    )
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the new YAML")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="text")
    parser.add_argument(
        "--name", help="name of the suggested rubric (default: the original's + '-suggested')"
    )
    parser.add_argument(
        "--keep-bands",
        action="store_true",
        help="keep the numeric criteria's bands; by default the fit proposes new ones",
    )
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    source, out = rubric_path(args, settings), Path(args.out)
    if out.exists() and out.resolve() == source.resolve():
        raise UserError(f"--out {args.out}: is the original rubric; choose another file")
    if not 2 <= args.folds <= 20:
        raise UserError(f"--folds: expected 2 to 20, got {args.folds}")
    rubric = load_rubric_for_cli(source)
    data, data_name = labelled_data(args, settings)
    report_skipped(data.skipped, len(data.leads) + len(data.skipped))
    if len(data.leads) < 10 * args.folds or sum(data.labels) < args.folds:
        raise UserError(
            f"{data_name}: too few leads to fit points: {len(data.leads)} leads, "
            f"{sum(data.labels)} converted; expected at least {10 * args.folds} leads and "
            f"{args.folds} converted"
        )
    scored = qualify_all(
        Qualifier(OfflineExtractor()),
        rubric,
        data.leads,
        ProgressBar("qualifying"),
        processes=os.cpu_count() or 1,
    )
    header = (
        f"Suggested by `leadbot rubric suggest` on {date.today():%Y-%m-%d} from {source.name}\n"
        f"and {len(data.leads):,} past leads in {_data_title(args, data_name)}.\n"
        "Only the name, points, bands and tier thresholds differ from the original."
    )
    try:
        suggestion = suggest(
            source.read_text(encoding="utf-8"),
            scored,
            data.labels,
            file=str(source),
            folds=args.folds,
            header=header,
            name=args.name,
            new_bands=not args.keep_bands,
            fields=[lead.fields for lead in data.leads],
        )
    except ValueError as exc:
        raise UserError(f"{data_name}: cannot suggest points: {exc}") from None
    try:
        out.write_text(suggestion.yaml_text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--out {args.out}: cannot write ({exc.strerror})") from None
    if args.format == "json":
        print(json.dumps({"out": str(out), **suggestion.public_dict()}))
    else:
        print(suggestion_text(suggestion, str(out), args, source))
    return 0


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def change_lines(suggestion: Suggestion) -> list[str]:
    """Each suggested change a manager signs off: points (biggest first), then bands."""
    moved = suggestion.changed_points
    lines = [f"Point changes ({len(moved)} of {len(suggestion.points)} answers):"]
    lines += [f"  {p.criterion}.{p.answer}: {p.old} -> {p.new} ({p.new - p.old:+d})" for p in moved]
    for change in suggestion.bands:
        lines.append(f"Bands of {change.criterion}: {', '.join(change.new)}")
        lines.append(f"  (were {', '.join(change.old)})")
    for change in suggestion.choice_groups:
        lines.append(f"Choices of {change.criterion}, grouped by points:")
        lines += [f"  {group}" for group in change.new]
        lines.append(f"  (were {', '.join(change.old)})")
    return lines


def _data_title(args, data_name: str) -> str:
    if data_name == STORED_DATA_NAME:
        return f"{data_name} (outcome: won)"
    return f"{Path(args.data).name} (outcome: {args.label})"


def suggestion_text(suggestion: Suggestion, out: str, args, source: Path) -> str:
    folds = len(suggestion.folds)
    lines = [
        f"{suggestion.rows:,} leads, {suggestion.positives:,} converted.",
        f"ROC AUC, {folds}-fold cross-validated (points fitted on {folds - 1} folds, "
        "scored on the held-out one):",
        f"  original   {_auc(suggestion.original_cv_auc)}   (on all leads: "
        f"{_auc(suggestion.original_auc)}; the original is not fitted)",
        f"  suggested  {_auc(suggestion.suggested_cv_auc)} ± "
        f"{_auc(suggestion.suggested_cv_auc_std)}   (fitted and scored on all leads: "
        f"{_auc(suggestion.suggested_in_sample_auc)})",
        "",
        f"Suggested rubric: {suggestion.name.new} (from {suggestion.name.old}).",
        *change_lines(suggestion),
        "",
        "Points (old -> new):",
    ]
    width = max(len(f"{p.criterion}.{p.answer}") for p in suggestion.points)
    for change in suggestion.points:
        name = f"{change.criterion}.{change.answer}"
        marker = "" if change.old == change.new else "  *"
        lines.append(f"  {name.ljust(width)}  {change.old:>3} -> {change.new:>3}{marker}")
    lines += ["", "Tier thresholds (old -> new), keeping each tier's share of leads:"]
    lines += [
        f"  {t.tier}: {t.old} -> {t.new}  ({100 * t.share:.1f}% of leads)"
        for t in suggestion.thresholds
    ]
    command = ["leadbot", "backtest", "--rubric", out, "--against", str(source)]
    command += ["--stored"] if args.stored else ["--data", args.data, "--label", args.label]
    compare = shlex.join(command)
    lines += ["", f"Wrote {out}. Compare the two on the same leads:", f"  {compare}"]
    return "\n".join(lines)
