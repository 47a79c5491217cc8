"""`leadbot backtest`: how a rubric would have sorted past leads whose outcomes are known.

Every CSV row is a lead (its columns become the lead's fields, a text column its text) with an
outcome in the label column. Qualification is offline unless `--model` is given; a model run
shows its estimated cost and asks first, because a back-test can mean thousands of calls.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bot.bootstrap import build_qualifier
from bot.cli.common import (
    OUTPUT_FORMATS,
    ProgressBar,
    add_data_arguments,
    labelled_data,
    load_rubric_for_cli,
    report_skipped,
    rubric_path,
)
from bot.errors import UserError
from bot.render.report_html import render_report
from bot.settings import Settings
from qualifiers.backtest import BacktestReport, RubricMetrics, run_backtest
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.extract.pricing import estimate_cost
from qualifiers.extract.prompt import lead_prompt, system_prompt
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Rubric
from qualifiers.verdict import mover_lines, verdict

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS_PER_CRITERION = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="score past leads with known outcomes and measure the rubric",
        description="Qualify every row of a CSV of past leads and compare the scores with the "
        "known outcome in --label: leads and conversion per tier, ROC AUC, precision and recall "
        "of the worked tiers (all but the lowest, e.g. hot+warm), top-decile lift. With "
        "--against, both rubrics side by side and the leads that change tier. With --stored, "
        "the team's own leads whose outcome was recorded (won = converted).",
    )
    add_data_arguments(parser)
    parser.add_argument("--against", metavar="RUBRIC", help="a second rubric to compare with")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="text")
    parser.add_argument(
        "--model",
        nargs="?",
        const="",
        metavar="NAME",
        help="qualify with the LLM (LEADBOT_MODEL, or NAME such as openai:gpt-4o-mini) instead "
        "of offline; shows the estimated cost and asks first",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="skip the confirmation of a --model run (needed when not in a terminal)",
    )
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    rubric = load_rubric_for_cli(rubric_path(args, settings))
    against = load_rubric_for_cli(args.against) if args.against else None
    data, data_name = labelled_data(args, settings)
    report_skipped(data.skipped, len(data.leads) + len(data.skipped))
    qualifier = Qualifier(OfflineExtractor())
    processes = os.cpu_count() or 1  # offline qualification is CPU-bound
    if args.model is not None:
        settings = settings.model_copy(update={"model": args.model or settings.model})
        if settings.model_name == "offline":
            raise UserError(
                "--model: no model configured; set LEADBOT_MODEL (e.g. openai:gpt-4o-mini) "
                "or OPENAI_API_KEY, or pass --model NAME"
            )
        rubrics = [rubric] + ([against] if against else [])
        confirm_model_run(settings.model_name, rubrics, data.leads, assume_yes=args.yes)
        qualifier = build_qualifier(settings)
        processes = 1  # model calls wait on the network: the qualifier runs them in threads
    labelled = list(zip(data.leads, data.labels, strict=True))
    report = run_backtest(
        rubric,
        labelled,
        qualifier=qualifier,
        against=against,
        progress=ProgressBar("qualifying"),
        processes=processes,
    )
    if args.format == "json":
        print(json.dumps({**report.public_dict(), "verdict": verdict(report).model_dump()}))
    else:
        print(report_text(report, data_name))
    if args.html:
        write_html(args.html, report, data_name)
        if args.format == "text":
            print(f"HTML report: {args.html}")
    return 0


def write_html(path: str, report: BacktestReport, data_name: str) -> None:
    try:
        Path(path).write_text(render_report(report, data_name=Path(data_name).name), "utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot write the HTML report ({exc.strerror})") from None


# --- model runs: cost first ---------------------------------------------------------------------


def estimated_model_cost(model: str, rubrics: list[Rubric], leads: list[Lead]) -> float | None:
    """A rough dollar figure: prompt characters / 4 in, a few dozen tokens per criterion out."""
    total = 0.0
    for rubric in rubrics:
        system_tokens = len(system_prompt(rubric)) // CHARS_PER_TOKEN
        output_tokens = OUTPUT_TOKENS_PER_CRITERION * (len(rubric.criteria) + 1)
        for lead in leads:
            input_tokens = system_tokens + len(lead_prompt(lead.searchable_text())) // 4
            total += estimate_cost(model, input_tokens, output_tokens)
    return total if total > 0 else None


def confirm_model_run(
    model: str, rubrics: list[Rubric], leads: list[Lead], *, assume_yes: bool
) -> None:
    calls = len(leads) * len(rubrics)
    cost = estimated_model_cost(model, rubrics, leads)
    cost_text = f"about ${cost:,.2f}" if cost is not None else "an unknown cost (no list price)"
    message = f"This back-test makes up to {calls:,} calls to {model}, {cost_text}."
    if assume_yes:
        print(f"leadbot: {message}", file=sys.stderr)
        return
    if not sys.stdin.isatty():
        raise UserError(f"{message} Not in a terminal to confirm: pass --yes to go ahead.")
    print(f"{message} Continue? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UserError("back-test cancelled; nothing was sent to the model")


# --- text output --------------------------------------------------------------------------------


def _title(metrics: RubricMetrics) -> str:
    return f"{metrics.rubric.name} ({metrics.rubric.version})"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _metric_rows(metrics: RubricMetrics) -> list[tuple[str, str]]:
    worked = "+".join(metrics.qualified_tiers)
    return [
        ("ROC AUC", _number(metrics.auc)),
        (f"precision ({worked})", _percent(metrics.precision)),
        (f"recall ({worked})", _percent(metrics.recall)),
        (
            "top-decile lift",
            "-" if metrics.top_decile_lift is None else f"{metrics.top_decile_lift:.2f}x",
        ),
    ]


def _tier_rows(metrics: RubricMetrics) -> list[tuple[str, str]]:
    return [
        (tier, f"{stats.leads:,} leads, {stats.converted:,} converted ({_percent(stats.rate)})")
        for tier, stats in metrics.tiers.items()
        if stats.leads or tier != "disqualified"
    ]


def report_text(report: BacktestReport, data_name: str) -> str:
    """Both rubrics side by side when comparing; one column otherwise."""
    primary = report.primary
    columns = [primary] + ([report.against] if report.against else [])
    lines = [
        verdict(report).text,
        f"Back-test on {data_name}: {primary.rows:,} leads, {primary.positives:,} converted "
        f"({_percent(primary.positives / primary.rows if primary.rows else None)})",
        "",
    ]
    header = [""] + [_title(m) for m in columns]
    if report.against:
        header[-1] += " [against]"
    metric_table = [header]
    for position, (name, _) in enumerate(_metric_rows(primary)):
        metric_table.append([name] + [_metric_rows(m)[position][1] for m in columns])
    lines += _table(metric_table)
    for metrics in columns:
        lines += ["", f"Tiers under {_title(metrics)}:"]
        lines += _table([[f"  {tier}", text] for tier, text in _tier_rows(metrics)])
    if report.against:
        moved = sum(report.changed_tier.values())
        lines += [
            "",
            f"Leads that change tier ({_title(report.against)} -> {_title(primary)}): {moved:,}",
        ]
        lines += [f"  {change}: {count:,}" for change, count in report.changed_tier.items()]
        if report.changes:
            lines += ["The first of them:", *(f"  {line}" for line in mover_lines(report))]
    return "\n".join(lines)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
