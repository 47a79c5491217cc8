"""Time to qualify one lead against its length, offline, from 1k to 1M characters.

A realistic lead (an email with a budget, a role, a headcount, a timeline and a phone number)
is repeated with varied figures until it is 1k, 10k, 100k and 1M characters long, in two
shapes: as written, and run on (every full stop and line break a comma, as a web form's
message box often arrives: one sentence, which is what made clause-scanning rules quadratic), then
qualified by the offline qualifier with the per-lead text cap and time budget switched off, so
the figures are the extractors' own cost. Growth between lengths is called linear when ten
times the text takes at most `--linear-factor` (default 30) times as long: quadratic code
takes 100 times as long, and a shared machine's noise alone can double a short run. A length whose
predicted time passes `--max-seconds` is not run (quadratic code would take hours at 1M).
Last, the default cap and budget are switched on for the longest lead to show the bounded cost.

    python benchmarks/length_scaling.py [--lengths 1000,10000,100000,1000000] [--max-seconds 120]
"""

from __future__ import annotations

import argparse
import time

from throughput import pin_to_one_core

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.limits import ReadLimits
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import load_rubric

LEAD = (
    "Hi there,\n\nI'm the VP of Sales at Acme Robotics {n}. We have 1,{n:03d} employees and a "
    "sales org of about 90 reps who each lose roughly 6 hours a week re-keying call notes into "
    "Salesforce. Our revenue is $12M, we raised €{n}M last year, and the current tool costs us "
    "$4,{n:03d} a month. We have ${n}k set aside for this (budget approved, up to 90,000 USD) "
    "and I'd like to decide this quarter, in 3-6 months at the latest.\n\n"
    "Thanks,\nMarcus Delaney\nVP Sales, Acme Robotics\nMobile: 415-555-{n:04d}\n"
    "Budget: 80k; Timeline: 30 days | Employees: 1400\n\n"
)
DEFAULT_LENGTHS = (1_000, 10_000, 100_000, 1_000_000)


SHAPES = ("email", "run-on")
_RUN_ON = str.maketrans(".\n!?;", ",,,,,")


def lead_of_length(length: int, shape: str = "email") -> Lead:
    """The realistic lead repeated with varied figures, cut to exactly `length` characters."""
    parts, total, n = [], 0, 1
    while total < length:
        part = LEAD.format(n=n % 10_000)
        if shape == "run-on":
            part = part.translate(_RUN_ON)
        parts.append(part)
        total += len(part)
        n += 1
    return Lead(id=f"length-{length}", text="".join(parts)[:length])


def seconds_to_qualify(qualifier: Qualifier, lead: Lead, rubric) -> float:
    """CPU seconds, the best of up to five runs within about a second: processor time and
    repeats keep a busy machine's other work from reading as growth."""
    best, spent = float("inf"), 0.0
    for _ in range(5):
        started = time.process_time()
        qualifier.qualify(lead, rubric)
        elapsed = time.process_time() - started
        best, spent = min(best, elapsed), spent + elapsed
        if spent > 1.0:
            break
    return best


def report_scaling(qualifier, rubric, shape: str, lengths: list[int], args) -> bool:
    """Prints time per length for one shape; True when every step grew linearly."""
    print(f"{shape}, uncapped, no budget (the extractors' own cost):")
    print(f"{'characters':>12} {'CPU s':>10} {'us/char':>9}  growth")
    previous: tuple[int, float] | None = None
    all_linear = True
    for length in lengths:
        if previous is not None:
            ratio = length / previous[0]
            if previous[1] * ratio * ratio > args.max_seconds:
                print(f"{length:>12,} {'skipped':>10}            predicted > {args.max_seconds} s")
                all_linear = False
                continue
        elapsed = seconds_to_qualify(qualifier, lead_of_length(length, shape), rubric)
        growth = ""
        if previous is not None:
            factor = elapsed / max(previous[1], 1e-9)
            linear = factor <= args.linear_factor * (length / previous[0]) / 10
            all_linear = all_linear and linear
            growth = f"x{factor:.1f} for x{length / previous[0]:.0f} text: " + (
                "linear" if linear else "FASTER THAN LINEAR"
            )
        print(f"{length:>12,} {elapsed:>10.3f} {elapsed / length * 1e6:>9.2f}  {growth}")
        previous = (length, elapsed)
    return all_linear


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lengths", default=",".join(map(str, DEFAULT_LENGTHS)), help="comma-separated"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--linear-factor", type=float, default=30.0)
    args = parser.parse_args()
    lengths = [int(part) for part in args.lengths.split(",")]

    pin_to_one_core()
    rubric = load_rubric()
    extractor = OfflineExtractor()
    qualifier = Qualifier(extractor, limits=ReadLimits(max_chars=None, budget_seconds=None))
    qualifier.qualify(lead_of_length(1_000), rubric)  # compile the rules once

    all_linear = True
    for shape in SHAPES:
        all_linear &= report_scaling(qualifier, rubric, shape, lengths, args)
    print("growth is linear" if all_linear else "growth is NOT linear")

    defaults = ReadLimits()
    bounded = Qualifier(extractor, limits=defaults)
    longest = lead_of_length(max(lengths), "run-on")
    elapsed = seconds_to_qualify(bounded, longest, rubric)
    result = bounded.qualify(longest, rubric)
    print(
        f"with the default cap ({defaults.max_chars:,} characters) and budget "
        f"({defaults.budget_seconds} s): {len(longest.text):,} characters in {elapsed:.3f} s; "
        f"note: {result.note}"
    )


if __name__ == "__main__":
    main()
