"""Train the whole-lead intent model (qualifiers/extract/lead_intent.py) on the development
leads, or check how it does on leads it was not trained on.

Trains on every development batch and the holdout set (never the blind batches) and stores
the weights in qualifiers/extract/lead_intent.weights.json, with a digest of the examples (a
test fails when a development batch changed and the weights were not retrained).
`--check` trains once per development batch on all the others and reads that batch with
it, beside the offline rules without the model: knockout recall and real buyers knocked
out, per batch and together.

    python benchmarks/train_lead_intent.py            # retrain and store the weights
    python benchmarks/train_lead_intent.py --check    # leave-one-batch-out figures
    python benchmarks/train_lead_intent.py --verify   # exit 1 when the weights are stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from accuracy import lead_from, load_leads

from qualifiers.extract.lead_intent import LABELS, WEIGHTS_FILE, features
from qualifiers.extract.linear import LinearModel, encode_weights, fit
from qualifiers.extract.offline import LeadText, OfflineExtractor
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import load_rubric

DATA = Path(__file__).resolve().parent / "data"
_L2 = 0.001
_STEPS = 300
_LEARNING_RATE = 4.0


def training_files() -> list[Path]:
    return [*sorted((DATA / "dev").glob("*.yaml")), DATA / "holdout_leads.yaml"]


def examples(path: Path) -> list[tuple[str, str, dict]]:
    """(label, masked lowercased text, labelled item) for each lead of a labelled file."""
    return [
        (item["expected"]["knockout"] or "none", LeadText(lead_from(item)).lower, item)
        for item in load_leads(path)
    ]


def digest(rows: list[tuple[str, str, dict]]) -> str:
    text = "\n".join(f"{label}\t{lower}" for label, lower, _ in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def train(rows: list[tuple[str, str, dict]]) -> LinearModel:
    return LinearModel(
        *fit(
            [(LABELS.index(label), features(lower)) for label, lower, _ in rows],
            len(LABELS),
            LABELS.index("none"),
            l2=_L2,
            steps=_STEPS,
            learning_rate=_LEARNING_RATE,
        )
    )


def all_examples() -> list[tuple[str, str, dict]]:
    return [row for path in training_files() for row in examples(path)]


def check() -> None:
    """Leave one batch out: the model trained on the others reads it."""
    rubric = load_rubric(None)
    rules_alone = Qualifier(OfflineExtractor(lead_intent=None))
    batches = {path.stem: examples(path) for path in training_files()}
    totals = [0, 0, 0, 0, 0, 0]  # knockouts, caught by rules, caught with model; same for buyers
    print(f"{'batch':14s} {'knockouts caught':>24s} {'real buyers knocked out':>26s}")
    for name, rows in batches.items():
        others = [row for other, rest in batches.items() if other != name for row in rest]
        with_model = Qualifier(OfflineExtractor(lead_intent=train(others)))
        leads = [lead_from(item) for _, _, item in rows]
        alone = rules_alone.qualify_many(leads, rubric)
        both = with_model.qualify_many(leads, rubric)
        counts = [0, 0, 0, 0, 0, 0]
        for (label, _, _), a, b in zip(rows, alone, both, strict=True):
            base = 0 if label != "none" else 3
            counts[base] += 1
            counts[base + 1] += a.knockout is not None
            counts[base + 2] += b.knockout is not None
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        print(f"{name:14s} {_line(counts[:3]):>24s} {_line(counts[3:]):>26s}")
    print(f"{'together':14s} {_line(totals[:3]):>24s} {_line(totals[3:]):>26s}")
    print("(rules alone -> rules and the model trained without the batch)")


def _line(counts: list[int]) -> str:
    whole, alone, both = counts
    return f"{alone}/{whole} -> {both}/{whole}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="leave-one-batch-out figures")
    parser.add_argument("--verify", action="store_true", help="exit 1 when weights are stale")
    args = parser.parse_args(argv)
    if args.check:
        check()
        return 0
    rows = all_examples()
    if args.verify:
        stored = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
        if stored["training_sha256"] != digest(rows):
            print(f"{WEIGHTS_FILE.name} is stale: run python {sys.argv[0]}", file=sys.stderr)
            return 1
        print(f"{WEIGHTS_FILE.name} matches the {len(rows)} development leads")
        return 0
    stored = encode_weights(train(rows), digest(rows))
    WEIGHTS_FILE.write_text(json.dumps(stored, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{WEIGHTS_FILE.name}: {len(stored['features'])} features from {len(rows)} leads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
