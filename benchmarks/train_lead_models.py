"""Train the whole-lead models (qualifiers/extract/lead_intent.py for knockouts,
lead_need.py for needs) on the development leads, or check how they do on leads they were
not trained on.

Trains on every development batch and the holdout set (never the blind batches) and stores
each model's weights beside its module, with a digest of the examples (a test fails when a
development batch changed and the weights were not retrained). `--check` trains once per
development batch on all the others and reads that batch with the model, beside the offline
rules without it: knockout recall and real buyers knocked out for the intent model, need
points and tiers for the need model, per batch and together.

    python benchmarks/train_lead_models.py            # retrain and store the weights
    python benchmarks/train_lead_models.py --check    # leave-one-batch-out figures
    python benchmarks/train_lead_models.py --verify   # exit 1 when the weights are stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from accuracy import lead_from, load_leads

from qualifiers.extract import lead_intent, lead_need
from qualifiers.extract.lead_intent import features
from qualifiers.extract.linear import LinearModel, encode_weights, fit
from qualifiers.extract.offline import LeadText, OfflineExtractor
from qualifiers.models import Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import load_rubric

DATA = Path(__file__).resolve().parent / "data"
_L2 = 0.001
_STEPS = 300
_LEARNING_RATE = 4.0


@dataclass(frozen=True)
class WholeLeadModel:
    """One model: its labels (`none` last), how a labelled lead is labelled, where it is
    stored, and the extractor option it is tried through."""

    labels: tuple[str, ...]
    label_of: Callable[[dict], str]
    weights_file: Path
    option: str


MODELS = (
    WholeLeadModel(
        lead_intent.LABELS,
        lambda expected: expected["knockout"] or "none",
        lead_intent.WEIGHTS_FILE,
        "lead_intent",
    ),
    WholeLeadModel(
        lead_need.LABELS,
        lambda expected: "need" if expected["need"] else "none",
        lead_need.WEIGHTS_FILE,
        "lead_need",
    ),
)


def training_files() -> list[Path]:
    return [*sorted((DATA / "dev").glob("*.yaml")), DATA / "holdout_leads.yaml"]


class Example(NamedTuple):
    lower: str  # the lead's masked, lowercased text
    features: set[str]  # found once: every model and every left-out batch trains on them
    item: dict  # the labelled lead


def examples(path: Path) -> list[Example]:
    """Each lead of a labelled file, read as the models read it."""
    rows = []
    for item in load_leads(path):
        lower = LeadText(lead_from(item)).lower
        rows.append(Example(lower, features(lower), item))
    return rows


def digest(model: WholeLeadModel, rows: list[Example]) -> str:
    text = "\n".join(f"{model.label_of(row.item['expected'])}\t{row.lower}" for row in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def train(model: WholeLeadModel, rows: list[Example]) -> LinearModel:
    labels = model.labels
    return LinearModel(
        *fit(
            [(labels.index(model.label_of(row.item["expected"])), row.features) for row in rows],
            len(labels),
            labels.index("none"),
            l2=_L2,
            steps=_STEPS,
            learning_rate=_LEARNING_RATE,
        )
    )


def all_examples() -> list[Example]:
    return [row for path in training_files() for row in examples(path)]


def check() -> None:
    """Leave one batch out: each model trained on the other batches reads it."""
    rubric = load_rubric(None)
    batches = {path.stem: examples(path) for path in training_files()}
    print(
        f"{'batch':14s} {'knockouts caught':>20s} {'buyers knocked out':>20s}"
        f" {'need points':>16s} {'tiers':>16s}"
    )
    alone = Qualifier(OfflineExtractor(lead_intent=None, lead_need=None))
    totals = [0] * 10
    for name, rows in batches.items():
        others = [row for other, rest in batches.items() if other != name for row in rest]
        trained = {model.option: train(model, others) for model in MODELS}
        leads = [lead_from(row.item) for row in rows]
        both = Qualifier(OfflineExtractor(**trained))
        before, after = alone.qualify_many(leads, rubric), both.qualify_many(leads, rubric)
        counts = [0] * 10
        for row, old, new in zip(rows, before, after, strict=True):
            _count(counts, row.item["expected"], old, new)
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        print(_row(name, counts))
    print(_row("together", totals))
    print("(the rules alone -> the rules and both models trained without the batch)")


def _count(counts: list[int], expected: dict, old: Qualification, new: Qualification) -> None:
    knockout = expected["knockout"] is not None
    base = 0 if knockout else 3
    counts[base] += 1
    counts[base + 1] += old.knockout is not None
    counts[base + 2] += new.knockout is not None
    counts[6] += _points(old, "need") == expected["need"]
    counts[7] += _points(new, "need") == expected["need"]
    counts[8] += old.tier == expected["tier"]
    counts[9] += new.tier == expected["tier"]


def _points(result: Qualification, criterion: str) -> int:
    return next((c.points for c in result.criteria if c.id == criterion), 0)


def _row(name: str, counts: list[int]) -> str:
    leads = counts[0] + counts[3]
    return (
        f"{name:14s} {counts[1]:>5d}/{counts[0]} -> {counts[2]:<5d}"
        f" {counts[4]:>5d}/{counts[3]} -> {counts[5]:<5d}"
        f" {counts[6]:>5d} -> {counts[7]}/{leads:<5d} {counts[8]:>5d} -> {counts[9]}/{leads}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="leave-one-batch-out figures")
    parser.add_argument("--verify", action="store_true", help="exit 1 when weights are stale")
    args = parser.parse_args(argv)
    if args.check:
        check()
        return 0
    rows = all_examples()
    stale = False
    for model in MODELS:
        if args.verify:
            stored = json.loads(model.weights_file.read_text(encoding="utf-8"))
            if stored["training_sha256"] != digest(model, rows):
                print(
                    f"{model.weights_file.name} is stale: run python {sys.argv[0]}", file=sys.stderr
                )
                stale = True
            else:
                print(f"{model.weights_file.name} matches the {len(rows)} development leads")
            continue
        stored = encode_weights(train(model, rows), digest(model, rows))
        model.weights_file.write_text(
            json.dumps(stored, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        print(
            f"{model.weights_file.name}: {len(stored['features'])} features from {len(rows)} leads"
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
