"""How often a qualifier agrees with a careful human on a labelled lead set.

Each lead in the YAML file has `text`, `fields`, optionally `received_at`, and `expected`
points per criterion plus `knockout` and `tier` (see tests/data/leads.yaml). Prints
per-criterion agreement on (lead, criterion) points, overall pair agreement, knockout
agreement, precision and recall (and the share of real buyers knocked out), tier agreement,
the confusion of tiers, and every disagreement. The offline qualifier by default; `--model`
runs the same evaluation through a chat model on any OpenAI-compatible server. Targets from
the issue: points >= 90 %, tiers >= 85 %, knockout recall >= 90 %, real buyers knocked out
<= 2 %.

    python benchmarks/accuracy.py                       # the holdout set, offline
    python benchmarks/accuracy.py --data tests/data/leads.yaml
    python benchmarks/accuracy.py --data benchmarks/data/blind/batch-*.yaml   # one set
    python benchmarks/accuracy.py --min-pairs 0.90 --min-tiers 0.85 \
        --min-knockout-recall 0.90 --max-false-knockouts 0.02      # exit 1 below target
    python benchmarks/accuracy.py --model openai:gpt-4o-mini       # OPENAI_API_KEY from env
    python benchmarks/accuracy.py --model openai:llama3.1 --base-url http://localhost:11434/v1
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.bootstrap import build_qualifier
from bot.errors import UserError
from bot.settings import Settings
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import Rubric, RubricError, load_rubric

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT / "benchmarks" / "data" / "holdout_leads.yaml"
PAIR_TARGET = 0.90
TIER_TARGET = 0.85
KNOCKOUT_RECALL_TARGET = 0.90
FALSE_KNOCKOUT_TARGET = 0.02


@dataclass
class Disagreement:
    lead_id: str
    what: str
    expected: object
    got: object
    detail: str = ""


@dataclass
class Report:
    leads: int = 0
    pairs_by_criterion: dict[str, list[bool]] = field(default_factory=dict)
    tiers: list[bool] = field(default_factory=list)
    knockouts: list[bool] = field(default_factory=list)
    # (expected knockout, got knockout) per lead labelled with one: None is a real buyer.
    knockout_pairs: list[tuple[str | None, str | None]] = field(default_factory=list)
    tier_pairs: list[tuple[str, str]] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    qualified_offline: int = 0  # model runs: leads the model could not answer
    dropped_answers: int = 0  # model runs: model answers whose evidence did not support them

    @property
    def pair_agreement(self) -> float:
        pairs = [ok for oks in self.pairs_by_criterion.values() for ok in oks]
        return sum(pairs) / len(pairs) if pairs else 0.0

    @property
    def tier_agreement(self) -> float:
        return sum(self.tiers) / len(self.tiers) if self.tiers else 0.0

    @property
    def knockout_counts(self) -> tuple[int, int, int, int]:
        """(knocked out rightly, knocked out of the real buyers, knockouts missed, real buyers)."""
        caught = sum(1 for want, got in self.knockout_pairs if want and got)
        false = sum(1 for want, got in self.knockout_pairs if not want and got)
        missed = sum(1 for want, got in self.knockout_pairs if want and not got)
        buyers = sum(1 for want, _ in self.knockout_pairs if not want)
        return caught, false, missed, buyers

    @property
    def knockout_recall(self) -> float:
        """Leads that should be knocked out and are (by any knockout); 1.0 when there are none."""
        caught, _, missed, _ = self.knockout_counts
        return caught / (caught + missed) if caught + missed else 1.0

    @property
    def knockout_precision(self) -> float:
        caught, false, _, _ = self.knockout_counts
        return caught / (caught + false) if caught + false else 1.0

    @property
    def false_knockout_share(self) -> float:
        """Real buyers (labelled with no knockout) that were knocked out, as a share of them."""
        _, false, _, buyers = self.knockout_counts
        return false / buyers if buyers else 0.0


def load_leads(path: Path) -> list[dict]:
    """The labelled leads; a clear error (not a traceback) when the file is not usable."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"accuracy: cannot read {path}: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(item, dict) and "expected" in item for item in data
    ):
        raise SystemExit(f"accuracy: {path}: expected a list of leads with `expected` labels")
    return data


def lead_from(item: dict) -> Lead:
    fields = {str(k): str(v) for k, v in (item.get("fields") or {}).items()}
    return Lead(
        id=str(item["id"]),
        text=item.get("text") or "",
        fields=fields,
        received_at=item.get("received_at"),
    )


def evaluate(items: list[dict], rubric: Rubric, qualifier: Qualifier) -> Report:
    report = Report(leads=len(items))
    results = qualifier.qualify_many([lead_from(item) for item in items], rubric)
    for item, result in zip(items, results, strict=True):
        _compare(report, item, result, rubric)
    return report


def _compare(report: Report, item: dict, result: Qualification, rubric: Rubric) -> None:
    expected = item["expected"]
    lead_id = str(item["id"])

    def check(outcomes: list[bool], what: str, got: object, detail: str) -> None:
        ok = got == expected[what]
        outcomes.append(ok)
        if not ok:
            report.disagreements.append(Disagreement(lead_id, what, expected[what], got, detail))

    by_id = {c.id: c for c in result.criteria}
    for criterion in rubric.criteria:
        if criterion.id in expected:
            got = by_id[criterion.id]
            outcomes = report.pairs_by_criterion.setdefault(criterion.id, [])
            check(
                outcomes, criterion.id, got.points, f"value={got.value!r} evidence={got.evidence!r}"
            )
    if "knockout" in expected:
        check(
            report.knockouts, "knockout", result.knockout, f"evidence={result.knockout_evidence!r}"
        )
        report.knockout_pairs.append((expected["knockout"], result.knockout))
    if "tier" in expected:
        check(report.tiers, "tier", result.tier, f"score={result.score}")
        report.tier_pairs.append((str(expected["tier"]), result.tier))
    if result.note and result.note.startswith("qualified offline"):
        report.qualified_offline += 1
    report.dropped_answers += len(result.dropped)


def print_report(report: Report, data: str, qualifier: str = "offline", out=None) -> None:
    out = out or sys.stdout
    print(f"{data}: {report.leads} leads, qualifier {qualifier}", file=out)
    print("per-criterion points agreement:", file=out)
    for criterion_id, oks in report.pairs_by_criterion.items():
        print(
            f"  {criterion_id:<16} {sum(oks):>3}/{len(oks):<3} {_pct(sum(oks), len(oks))}", file=out
        )
    pairs = [ok for oks in report.pairs_by_criterion.values() for ok in oks]
    print(f"pairs      {sum(pairs):>3}/{len(pairs):<3} {_pct(sum(pairs), len(pairs))}", file=out)
    k = report.knockouts
    print(f"knockouts  {sum(k):>3}/{len(k):<3} {_pct(sum(k), len(k))}", file=out)
    caught, false, missed, buyers = report.knockout_counts
    print(
        f"  recall    {caught:>3}/{caught + missed:<3} {_pct(caught, caught + missed)}"
        f"   precision {caught}/{caught + false} {_pct(caught, caught + false)}"
        f"   real buyers knocked out {false}/{buyers} {_pct(false, buyers)}",
        file=out,
    )
    t = report.tiers
    print(f"tiers      {sum(t):>3}/{len(t):<3} {_pct(sum(t), len(t))}", file=out)
    _print_confusion(report.tier_pairs, out)
    if qualifier != "offline":
        print(
            f"model: {report.dropped_answers} answers dropped as unsupported, "
            f"{report.qualified_offline} leads qualified offline (model unavailable)",
            file=out,
        )
    if report.disagreements:
        print("disagreements (lead, what: expected -> got):", file=out)
    for d in report.disagreements:
        print(f"  {d.lead_id}, {d.what}: {d.expected} -> {d.got}  {d.detail}", file=out)


def _print_confusion(pairs: list[tuple[str, str]], out) -> None:
    """Rows: the labelled tier; columns: the tier the qualifier gave."""
    if not pairs:
        return
    order = ["hot", "warm", "cold", "disqualified"]
    tiers = [t for t in order if any(t in pair for pair in pairs)]
    tiers += sorted({t for pair in pairs for t in pair} - set(tiers))
    width = max(len(t) for t in tiers) + 2
    print("tier confusion (rows: expected, columns: got):", file=out)
    print(" " * (width + 2) + "".join(f"{t:>{width}}" for t in tiers), file=out)
    for want in tiers:
        row = [sum(1 for pair in pairs if pair == (want, got)) for got in tiers]
        print(f"  {want:<{width}}" + "".join(f"{n:>{width}}" for n in row), file=out)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "  n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=[DEFAULT_DATA],
        help="labelled leads YAML; several files are scored as one set",
    )
    parser.add_argument("--rubric", type=Path, default=None, help="rubric (default: default.yaml)")
    parser.add_argument("--min-pairs", type=float, default=None, help="fail below this fraction")
    parser.add_argument("--min-tiers", type=float, default=None, help="fail below this fraction")
    parser.add_argument(
        "--min-knockout-recall",
        type=float,
        default=None,
        help=f"fail below this share of knockouts caught (target {KNOCKOUT_RECALL_TARGET})",
    )
    parser.add_argument(
        "--max-false-knockouts",
        type=float,
        default=None,
        help=f"fail above this share of real buyers knocked out (target {FALSE_KNOCKOUT_TARGET})",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="a chat model (LEADBOT_MODEL syntax, e.g. openai:gpt-4o-mini); default: offline",
    )
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server (else env)")
    parser.add_argument("--api-key", default=None, help="its key (else OPENAI_API_KEY)")
    args = parser.parse_args(argv)
    try:
        rubric = load_rubric(args.rubric)
        qualifier = build(args.model, base_url=args.base_url, api_key=args.api_key)
    except (RubricError, UserError) as exc:
        print(f"accuracy: {exc}", file=sys.stderr)
        return 2
    leads = [lead for path in args.data for lead in load_leads(path)]
    report = evaluate(leads, rubric, qualifier)
    print_report(report, " + ".join(str(path) for path in args.data), qualifier.name)
    below = [
        args.min_pairs is not None and report.pair_agreement < args.min_pairs,
        args.min_tiers is not None and report.tier_agreement < args.min_tiers,
        args.min_knockout_recall is not None and report.knockout_recall < args.min_knockout_recall,
        args.max_false_knockouts is not None
        and report.false_knockout_share > args.max_false_knockouts,
    ]
    return 1 if any(below) else 0


def build(model: str | None, *, base_url: str | None, api_key: str | None) -> Qualifier:
    """The offline qualifier, or with `model` the LLM qualifier as leadbot builds it (settings
    from the environment and .env, the flags on top; no database, so no extraction cache)."""
    if model is None or model == "offline":
        return Qualifier(OfflineExtractor())
    overrides = {"LEADBOT_MODEL": model}
    if base_url:
        overrides["OPENAI_BASE_URL"] = base_url
    if api_key:
        overrides["OPENAI_API_KEY"] = api_key
    return build_qualifier(Settings(**overrides))


if __name__ == "__main__":
    sys.exit(main())
