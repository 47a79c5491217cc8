"""The offline qualifier agrees with a careful human on each lead in tests/data/leads.yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier

LEADS_FILE = Path(__file__).resolve().parents[1] / "data" / "leads.yaml"
CRITERIA = ("budget", "authority", "need", "timeline", "company_size")


def _labelled_leads() -> list[dict]:
    return yaml.safe_load(LEADS_FILE.read_text(encoding="utf-8"))


LEADS = _labelled_leads()
QUALIFIER = Qualifier(OfflineExtractor())


@pytest.mark.parametrize("item", LEADS, ids=[str(item["id"]) for item in LEADS])
def test_points_knockout_and_tier_match_the_label(item, default_rubric):
    lead = Lead(
        id=str(item["id"]),
        text=item.get("text") or "",
        fields={str(k): str(v) for k, v in (item.get("fields") or {}).items()},
    )
    result = QUALIFIER.qualify(lead, default_rubric)
    expected = item["expected"]
    got = {c.id: c.points for c in result.criteria}
    assert {c: got[c] for c in CRITERIA} == {c: expected[c] for c in CRITERIA}, [
        (c.id, c.value, c.evidence) for c in result.criteria
    ]
    assert (result.knockout, result.tier) == (expected["knockout"], expected["tier"])
    searchable = lead.searchable_text()
    assert all(c.evidence in searchable for c in result.criteria if c.evidence is not None)
    assert result.knockout_evidence is None or result.knockout_evidence in searchable


def test_the_labelled_set_is_the_one_described():
    assert len(LEADS) >= 70
    assert len({item["id"] for item in LEADS}) == len(LEADS)


def test_the_accuracy_benchmark_reports_agreement_and_enforces_targets():
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy.py"
    command = [sys.executable, str(script), "--data", str(LEADS_FILE)]
    passing = subprocess.run(
        [*command, "--min-pairs", "0.85", "--min-tiers", "0.8"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert passing.returncode == 0, passing.stderr
    assert f"pairs      {5 * len(LEADS)}/{5 * len(LEADS)} 100.0 %" in passing.stdout
    impossible = subprocess.run(
        [*command, "--min-pairs", "1.01"], capture_output=True, text=True, check=False
    )
    assert impossible.returncode == 1
