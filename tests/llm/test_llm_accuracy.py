"""benchmarks/accuracy.py: knockout precision and recall, false knockouts, tier confusion,
their thresholds, and `--model` through an OpenAI-compatible server (FakeOpenAI)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml
from fakes.openai_api import FakeOpenAI, FakeResponse

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.rubric import load_rubric

REPO_ROOT = Path(__file__).resolve().parents[2]
LEADS_FILE = REPO_ROOT / "tests" / "data" / "leads.yaml"
_LEAD_IN_PROMPT = re.compile(r"<lead>\n(.*)\n</lead>", re.DOTALL)


@pytest.fixture(scope="module")
def accuracy():
    """benchmarks/accuracy.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "accuracy_benchmark", REPO_ROOT / "benchmarks" / "accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def write_leads(folder: Path, leads: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "leads.yaml"
    path.write_text(yaml.safe_dump(leads), encoding="utf-8")
    return path


def labelled(lead_id: str, text: str, knockout: str | None, tier: str) -> dict:
    return {"id": lead_id, "text": text, "expected": {"knockout": knockout, "tier": tier}}


def test_knockout_recall_false_knockouts_and_tier_confusion_are_reported_and_enforced(
    accuracy, tmp_path, capsys
):
    data = write_leads(
        tmp_path,
        [
            labelled(
                "thesis",
                "Hi, I'm a grad student writing my thesis on lead routing.",
                "student",
                "disqualified",
            ),
            labelled(
                "missed",
                "Could you send a price list? We compare vendors for a client.",
                "vendor",
                "disqualified",
            ),
            labelled("buyer", "Just browsing for now, thanks.", None, "cold"),
            labelled("buyer-2", "We need lead routing for our reps.", None, "cold"),
        ],
    )
    command = ["--data", str(data)]

    assert accuracy.main(command) == 0
    out = capsys.readouterr().out
    assert "recall      1/2    50.0 %" in out
    assert "real buyers knocked out 0/2   0.0 %" in out
    assert "tier confusion (rows: expected, columns: got):" in out
    assert re.search(r"\n  disqualified +1 +1\n", out)  # one missed knockout read as cold
    assert accuracy.main([*command, "--min-knockout-recall", "0.9"]) == 1
    assert accuracy.main([*command, "--min-knockout-recall", "0.5"]) == 0
    assert accuracy.main([*command, "--max-false-knockouts", "0.02"]) == 0


def test_real_buyers_knocked_out_fail_the_threshold(accuracy, tmp_path, capsys):
    data = write_leads(
        tmp_path,
        [labelled("mislabelled", "I'm a student and need a thesis tool.", None, "cold")],
    )

    assert accuracy.main(["--data", str(data), "--max-false-knockouts", "0.02"]) == 1
    assert "real buyers knocked out 1/1 100.0 %" in capsys.readouterr().out


def test_several_files_are_scored_as_one_set(accuracy, tmp_path, capsys):
    thesis = labelled("thesis", "I'm a grad student writing my thesis.", "student", "disqualified")
    buyer = labelled("buyer", "Just browsing for now, thanks.", None, "cold")
    first = write_leads(tmp_path / "a", [thesis])
    second = write_leads(tmp_path / "b", [buyer])

    assert accuracy.main(["--data", str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert f"{first} + {second}: 2 leads" in out
    assert "real buyers knocked out 0/1" in out


def offline_answer(lead_text: str) -> dict:
    """What an honest model that reads the lead as the offline rules do would answer: the
    same values, each quoting the offline evidence (whole words)."""
    rubric = load_rubric()
    extraction, _ = OfflineExtractor().extract(Lead(text=lead_text), rubric)
    criteria = {}
    for criterion_id, answer in extraction.answers.items():
        start = lead_text.find(answer.evidence)
        end = start + len(answer.evidence)
        while start >= 0 and _inside_a_word(lead_text, end):
            end += 1  # an evidence cut inside a word or number is not how a model quotes
        quote = lead_text[start:end] if start >= 0 else answer.evidence
        criteria[criterion_id] = {"evidence": quote, "value": answer.value, "confidence": 0.9}
    knockouts = [{"id": k.id, "evidence": k.evidence} for k in extraction.knockouts]
    return {"criteria": criteria, "knockouts": knockouts}


def _inside_a_word(text: str, end: int) -> bool:
    if end >= len(text):
        return False
    return text[end].isalnum() or (text[end] in ",." and text[end + 1 : end + 2].isdigit())


def lying_answer(lead_text: str) -> dict:
    """A model that obeyed every lead: top marks for everything, a real but empty quote."""
    first_words = " ".join(lead_text.split()[:3])
    claim = {"evidence": first_words, "confidence": 1.0}
    return {
        "criteria": {
            "budget": {**claim, "value": 5_000_000},
            "authority": {**claim, "value": "decision_maker"},
            "need": {**claim, "value": True},
            "timeline": {**claim, "value": 0},
            "company_size": {**claim, "value": 5000},
        },
        "knockouts": [{"id": "student", "evidence": lead_text.split()[0]}],
    }


def serve(fake: FakeOpenAI, answer) -> None:
    def respond(body):
        lead_text = _LEAD_IN_PROMPT.search(body["messages"][-1]["content"])[1]
        return FakeResponse(content=answer(lead_text))

    fake.responder = respond


@pytest.mark.parametrize("model", [offline_answer, lying_answer], ids=["honest", "lying"])
def test_model_runs_through_an_openai_compatible_server_and_keep_to_the_facts(
    accuracy, fake_openai, capsys, model
):
    """Over the labelled set, an honest model keeps every answer, and a model that lies about
    every lead with real quotes moves no point: both score exactly as the labels."""
    serve(fake_openai, model)
    leads = yaml.safe_load(LEADS_FILE.read_text(encoding="utf-8"))
    command = [
        *("--data", str(LEADS_FILE), "--model", "openai:gpt-4o-mini"),
        *("--base-url", fake_openai.url + "/v1", "--api-key", "test-key"),
        *("--min-pairs", "1.0", "--min-tiers", "1.0"),
        *("--min-knockout-recall", "1.0", "--max-false-knockouts", "0"),
    ]

    exit_code = accuracy.main(command)

    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert f"{len(leads)} leads, qualifier openai:gpt-4o-mini" in out
    assert len(fake_openai.requests) == len(leads)
    dropped = int(re.search(r"model: (\d+) answers dropped", out)[1])
    assert "0 leads qualified offline" in out
    if model is offline_answer:
        assert dropped == 0
    else:
        assert dropped >= 5 * len(leads)


def test_a_model_it_cannot_build_is_a_clear_error(accuracy, capsys):
    assert accuracy.main(["--data", str(LEADS_FILE), "--model", "openai:gpt-4o-mini"]) == 2
    assert "needs OPENAI_API_KEY" in capsys.readouterr().err
