"""Back-tests and point suggestions on the two real labelled lead sets in ../shared/datasets.

For each dataset and its example rubric (rubrics/examples/):
1. `leadbot backtest --format json` as a user runs it (a subprocess, offline, timed wall-clock
   from start to exit): the hand-written rubric's ROC AUC on all rows (it is not fitted, so
   there is nothing to cross-validate), precision and recall of hot+warm, top-decile lift, tiers.
2. `leadbot rubric suggest` (a subprocess too): 5-fold cross-validated AUC of
   the original and of the suggestion, the suggestion refitted on each training fold.
3. `leadbot backtest --rubric SUGGESTED --against ORIGINAL`, for the tier shares and movers
   (in-sample for the suggestion: the honest figure is the cross-validated one in step 2).

4. The baseline the suggestion is held to: a gradient-boosted model (scikit-learn's
   HistGradientBoostingClassifier, default settings, seed 0) on every intake-time column,
   5-fold cross-validated twice: on scikit-learn's StratifiedKFold (shuffled, seed 0), the
   protocol measured from outside, and on the very folds `rubric suggest` used
   (`qualifiers.suggest.stratified_folds`, seed 0), so the two are compared fold for fold.
   The leaky columns it leaves out are the ones the example rubrics leave out
   (docs/backtest.md): on Bank Marketing `duration`, on X Education the columns sales fills in
   after contact. scikit-learn is a dev extra, used here only.

Targets from the issue: hand-written X Education >= 0.82; the suggestion's cross-validated AUC
within 0.01 of the GBM's (X Education 0.871 and Bank Marketing 0.800 measured from outside;
both that figure and the GBM measured here on the suggestion's folds are checked);
the 45k-row Bank Marketing back-test < 10 s.

    python benchmarks/backtest_datasets.py [--dataset xeducation|bank|all] [--keep DIR]
                                           [--no-gbm]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS = REPO_ROOT / ".." / "shared" / "datasets"
LEADBOT = Path(sys.executable).with_name("leadbot")


@dataclass(frozen=True)
class Dataset:
    name: str
    data: Path
    label: str
    rubric: Path
    hand_target: float | None
    gbm_from_outside: float  # the figure, used as the baseline with --no-gbm
    time_target: float | None
    not_at_intake: tuple[str, ...]  # columns known only after contact: neither model sees them


DATASETS_RUN = {
    "xeducation": Dataset(
        "X Education (Leads.csv)",
        DATASETS / "x-education-leads" / "Leads.csv",
        "Converted",
        REPO_ROOT / "rubrics" / "examples" / "xeducation.yaml",
        hand_target=0.82,
        gbm_from_outside=0.871,
        time_target=None,
        not_at_intake=(
            "Prospect ID",
            "Lead Number",
            "Tags",
            "Lead Quality",
            "Lead Profile",
            "Last Activity",
            "Last Notable Activity",
            "Asymmetrique Activity Index",
            "Asymmetrique Profile Index",
            "Asymmetrique Activity Score",
            "Asymmetrique Profile Score",
        ),
    ),
    "bank": Dataset(
        "UCI Bank Marketing (bank-full.csv)",
        DATASETS / "uci-bank-marketing" / "bank-full.csv",
        "y",
        REPO_ROOT / "rubrics" / "examples" / "bank.yaml",
        hand_target=None,
        gbm_from_outside=0.800,
        time_target=10.0,
        not_at_intake=("duration",),
    ),
}


def leadbot_json(*args: str) -> tuple[dict, float]:
    """Runs the installed `leadbot` command; returns its JSON output and wall-clock seconds."""
    started = time.perf_counter()
    result = subprocess.run([str(LEADBOT), *args, "--format", "json"], capture_output=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"leadbot {' '.join(args)} failed:\n{result.stderr.decode()}")
    return json.loads(result.stdout), elapsed


GBM_MARGIN = 0.01  # the suggestion may trail the black box by this much


@dataclass(frozen=True)
class GbmFigures:
    auc: float  # scikit-learn's StratifiedKFold, shuffled, seed 0: the outside protocol
    std: float
    on_suggest_folds: float  # the folds `rubric suggest` cross-validates on
    seconds: float


def gbm_cv_auc(dataset: Dataset, folds: int = 5) -> GbmFigures:
    """5-fold stratified CV ROC AUC of a GBM on the intake-time columns, on both fold sets."""
    import numpy as np  # the benchmark's own imports: the product does not need scikit-learn

    from qualifiers.suggest import stratified_folds

    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import PredefinedSplit, StratifiedKFold, cross_val_score
    except ImportError:
        sys.exit("the GBM baseline needs scikit-learn: pip install -e '.[dev]', or pass --no-gbm")

    with dataset.data.open(newline="", encoding="utf-8-sig") as handle:
        dialect = csv.Sniffer().sniff(handle.read(4096), delimiters=",;")
        handle.seek(0)
        rows = list(csv.DictReader(handle, dialect=dialect))
    skip = {dataset.label, *dataset.not_at_intake}
    columns = [c for c in rows[0] if c and c not in skip]
    labels = np.array([r[dataset.label].strip().lower() in ("1", "yes", "true") for r in rows])
    features, categorical = [], []
    for column in columns:
        values = [r[column].strip() for r in rows]
        try:
            features.append([float(v) if v else np.nan for v in values])
            categorical.append(False)
        except ValueError:
            codes = {v: i for i, v in enumerate(sorted(set(values)))}
            features.append([codes[v] for v in values])
            categorical.append(True)
    model = HistGradientBoostingClassifier(
        categorical_features=np.array(categorical), random_state=0
    )
    started = time.perf_counter()
    matrix = np.array(features, dtype=float).T
    outside = StratifiedKFold(folds, shuffle=True, random_state=0)
    aucs = cross_val_score(model, matrix, labels, cv=outside, scoring="roc_auc")
    ours = PredefinedSplit(stratified_folds(labels, folds, seed=0))
    same_folds = cross_val_score(model, matrix, labels, cv=ours, scoring="roc_auc")
    return GbmFigures(
        float(aucs.mean()), float(aucs.std()), float(same_folds.mean()),
        time.perf_counter() - started,
    )  # fmt: skip


def verdict(value: float | None, target: float | None, higher_is_better: bool = True) -> str:
    if target is None or value is None:
        return ""
    met = value >= target if higher_is_better else value < target
    sign = ">=" if higher_is_better else "<"
    return f"  (target {sign} {target}: {'met' if met else 'MISSED'})"


def tier_lines(metrics: dict) -> list[str]:
    return [
        f"      {tier:<12} {s['leads']:>6,} leads  {s['converted']:>6,} converted  "
        + ("-" if s["rate"] is None else f"{100 * s['rate']:.1f}%")
        for tier, s in metrics["tiers"].items()
        if s["leads"] or tier != "disqualified"
    ]


def run(key: str, dataset: Dataset, workdir: Path, with_gbm: bool) -> bool:
    if not dataset.data.is_file():
        sys.exit(f"missing dataset {dataset.data.resolve()}: see ../shared/datasets/")
    print(f"== {dataset.name}, rubric {dataset.rubric.relative_to(REPO_ROOT)}")
    common = ["--data", str(dataset.data), "--label", dataset.label]
    hand, seconds = leadbot_json("backtest", "--rubric", str(dataset.rubric), *common)
    rate = hand["positives"] / hand["rows"]
    print(f"   {hand['rows']:,} leads, {hand['positives']:,} converted ({100 * rate:.1f}%)")
    print(
        f"   back-test (leadbot backtest, wall clock): {seconds:.1f} s"
        + verdict(seconds, dataset.time_target, higher_is_better=False)
    )
    print(
        f"   hand-written: AUC {hand['auc']:.3f} on all rows"
        + verdict(hand["auc"], dataset.hand_target)
    )
    print(
        f"      precision (hot+warm) {100 * hand['precision']:.1f}%, recall "
        f"{100 * hand['recall']:.1f}%, top-decile lift {hand['top_decile_lift']:.2f}x"
    )
    print("\n".join(tier_lines(hand)))

    out = workdir / f"{key}.suggested.yaml"
    suggestion, suggest_seconds = leadbot_json(
        "rubric", "suggest", "--rubric", str(dataset.rubric), *common, "--out", str(out)
    )
    outside = dataset.gbm_from_outside
    baselines = [(outside, f"the GBM measured from outside, {outside:.3f}")]
    print(
        f"   GBM on intake-time columns (not {', '.join(dataset.not_at_intake[:3])}"
        f"{', ...' if len(dataset.not_at_intake) > 3 else ''}): 5-fold CV AUC {outside:.3f} "
        "from outside (the issue's)"
    )
    if with_gbm:
        gbm = gbm_cv_auc(dataset)
        print(
            f"      measured here ({gbm.seconds:.0f} s): {gbm.auc:.3f} ± {gbm.std:.3f} on "
            f"StratifiedKFold, {gbm.on_suggest_folds:.3f} on the suggestion's folds"
        )
        baselines.append((gbm.on_suggest_folds, "the GBM here on the same folds"))
    cv_auc = suggestion["suggested_cv_auc"]
    print(
        f"   suggestion ({suggest_seconds:.1f} s incl. qualifying): 5-fold CV AUC "
        f"{cv_auc:.3f} ± {suggestion['suggested_cv_auc_std']:.3f} vs "
        f"original {suggestion['original_cv_auc']:.3f}"
    )
    suggested_targets = [round(baseline - GBM_MARGIN, 3) for baseline, _ in baselines]
    for (baseline, name), target in zip(baselines, suggested_targets, strict=True):
        print(f"      vs {name}: {cv_auc - baseline:+.3f}" + verdict(cv_auc, target))
    groups = ", ".join(g["criterion"] for g in suggestion.get("choice_groups", [])) or "none"
    print(f"   choice groups proposed for: {groups}")
    redrawn = ", ".join(b["criterion"] for b in suggestion["bands"]) or "none"
    print(
        f"   suggested rubric {suggestion['name']['new']}: {len(suggestion['changed_points'])} "
        f"answers change points; bands redrawn for {redrawn}"
    )
    compared, _ = leadbot_json(
        "backtest", "--rubric", str(out), "--against", str(dataset.rubric), *common
    )
    print(
        f"   suggested rubric back-tested on all rows (in-sample): AUC {compared['auc']:.3f}, "
        f"precision {100 * compared['precision']:.1f}%, recall {100 * compared['recall']:.1f}%, "
        f"top-decile lift {compared['top_decile_lift']:.2f}x"
    )
    print("\n".join(tier_lines(compared)))
    moved = sum(compared["changed_tier"].values())
    print(f"   leads that change tier: {moved:,} ({100 * moved / compared['rows']:.1f}%)")
    print(f"   verdict: {compared['verdict']['text']}\n")
    targets = [
        (hand["auc"], dataset.hand_target, True),
        *((cv_auc, target, True) for target in suggested_targets),
        (seconds, dataset.time_target, False),
    ]
    return all(
        target is None or (value >= target if higher else value < target)
        for value, target, higher in targets
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=[*DATASETS_RUN, "all"], default="all")
    parser.add_argument("--keep", type=Path, help="write the suggested rubrics to this folder")
    parser.add_argument(
        "--no-gbm",
        action="store_true",
        help="skip fitting the GBM baseline (minutes on 2 cores); hold the suggestion to the "
        "issue's GBM figures only",
    )
    args = parser.parse_args()
    keys = list(DATASETS_RUN) if args.dataset == "all" else [args.dataset]
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        results = [run(key, DATASETS_RUN[key], workdir, not args.no_gbm) for key in keys]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
