"""How far a model that obeys the lead can move a score with real quotes that support nothing.

For every labelled lead, every real span of it (each sentence, and every run of 1 to 4
words) is offered as the evidence of the best answer it could carry: for money and counts
each number it states at face value and scaled by thousand and million, months 0, 1 and 3,
decision maker, need yes, and every knockout for a real buyer. The LLM path's checks
(qualifiers/extract/evidence.py and support.py, with the offline reading of the lead) decide
what counts. A "gain" is an accepted answer that earns more points than the labeller gave
that criterion, or a knockout of a lead the labeller did not knock out. The issue's target:
an obeying model can no longer move a score without a quote that supports it.

    python benchmarks/llm_evidence.py                     # the development sets
    python benchmarks/llm_evidence.py --data tests/data/leads.yaml --max-gain-share 0.001
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import lead_from, load_leads

from qualifiers.extract.evidence import checked_extraction
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.extract.support import QuoteReader, stated_numbers
from qualifiers.models import Answer, Extraction, KnockoutHit
from qualifiers.rubric import load_rubric
from qualifiers.scoring import points_for

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = [
    REPO_ROOT / "tests" / "data" / "leads.yaml",
    REPO_ROOT / "tests" / "data" / "leads_extra.yaml",
    REPO_ROOT / "benchmarks" / "data" / "holdout_leads.yaml",
]
ARRIVED = date(2026, 12, 2)
_SENTENCE = re.compile(r"(?<=[.!?\n])")


def spans(text: str) -> set[str]:
    """Each sentence and every run of 1-4 words: what an obeying model might quote."""
    found = {part.strip() for part in _SENTENCE.split(text) if part.strip()}
    words = text.split()
    for size in range(1, 5):
        found.update(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return found


def claims(quote: str) -> dict[str, list]:
    """The best values a quote could be offered for, per criterion type."""
    numbers = stated_numbers(quote.lower(), money=True) | stated_numbers(quote.lower()) or {0}
    return {
        "money": sorted({n * scale for n in numbers for scale in (1, 1e3, 1e6)} | {5e6}),
        "number": sorted({n * scale for n in numbers for scale in (1, 1e3)} | {5000}),
        "months": [0, 1, 3],
        "yes_no": [True],
    }


class Probe:
    """Offers every span of a lead for every claim and counts what the checks accept."""

    def __init__(self) -> None:
        self.rubric = load_rubric()
        self.offline = OfflineExtractor()
        self.reader = QuoteReader(self.rubric, self.offline.rules_for(self.rubric))
        self.best_choice = {
            c.id: max(c.choices, key=lambda key: c.choices[key].points)
            for c in self.rubric.criteria
            if c.type == "choice"
        }
        self.tried = 0
        self.gains: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}
        self.leads_moved: set[str] = set()

    def lead(self, item: dict) -> None:
        lead = lead_from(item)
        text = lead.searchable_text()
        found, _ = self.offline.extract(lead, self.rubric)

        def accepted(proposed: Extraction) -> Extraction:
            return checked_extraction(
                proposed,
                self.rubric,
                lead,
                sent=text,
                offline=found,
                reader=self.reader,
                as_of=ARRIVED,
            )

        expected = item["expected"]
        for quote in spans(text):
            self._criteria(item["id"], quote, expected, accepted)
            if not expected.get("knockout"):
                self._knockouts(item["id"], quote, accepted)

    def _criteria(self, lead_id: str, quote: str, expected: dict, accepted) -> None:
        values = claims(quote)
        for criterion in self.rubric.criteria:
            if criterion.id not in expected or criterion.type == "text":
                continue
            if criterion.type == "choice":
                offered = [self.best_choice[criterion.id]]
            else:
                offered = values[criterion.type]
            for value in offered:
                self.tried += 1
                answer = Answer(value=value, evidence=quote, source="model")
                kept = accepted(Extraction(answers={criterion.id: answer})).answers
                if criterion.id in kept and points_for(criterion, value) > expected[criterion.id]:
                    self._gain(criterion.id, lead_id, f"{quote[:60]!r} -> {value}")
                    break

    def _knockouts(self, lead_id: str, quote: str, accepted) -> None:
        for knockout in self.rubric.knockouts:
            self.tried += 1
            hit = KnockoutHit(id=knockout.id, evidence=quote, source="model")
            if accepted(Extraction(knockouts=[hit])).knockouts:
                self._gain(f"knockout {knockout.id}", lead_id, f"{quote[:60]!r}")

    def _gain(self, what: str, lead_id: str, example: str) -> None:
        self.gains[what] += 1
        self.leads_moved.add(lead_id)
        self.examples.setdefault(what, []).append(f"{lead_id}: {example}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="labelled leads YAML")
    parser.add_argument("--max-gain-share", type=float, default=None, help="fail above this")
    args = parser.parse_args(argv)
    probe = Probe()
    leads = 0
    for path in args.data or DEFAULT_DATA:
        for item in load_leads(path):
            probe.lead(item)
            leads += 1
    total = sum(probe.gains.values())
    share = total / probe.tried if probe.tried else 0.0
    print(f"{leads} leads; claims tried: {probe.tried:,}")
    print(f"accepted beyond the labels: {total} ({100 * share:.3f} %)")
    for what, count in probe.gains.most_common():
        print(f"  {what:<22} {count}")
    print(f"leads where some quote moved a point or knocked out a buyer: {len(probe.leads_moved)}")
    for what, lines in probe.examples.items():
        print(f"examples, {what}:")
        for line in lines[:5]:
            print(f"  {line}")
    return 1 if args.max_gain_share is not None and share > args.max_gain_share else 0


if __name__ == "__main__":
    sys.exit(main())
