"""The whole-lead reading of knockouts (qualifiers/extract/lead_intent.py): asked only where
the rules and the sentence classifier found none, taken only at its threshold and only for a
knockout the rubric has, with a sentence of the lead as its evidence; and its shipped weights
are those of the development batches (the need model's too: tests/core/test_lead_need.py)."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from qualifiers.extract import lead_intent, lead_need
from qualifiers.extract.lead_intent import LABELS, features, read_intent
from qualifiers.extract.linear import LinearModel, fit
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.rubric import Rubric

REPO = Path(__file__).resolve().parents[2]
ARRIVED = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)

# A knockout no rule and no single sentence gives away: a fake award's fee, in words the
# toy model below learns from its neighbours.
AWARD = (
    "Hello team,\n\nCongratulations on being shortlisted by our editorial board for the Nordic "
    "Growth Honours 2026. To keep your place in the winners' gallery we need the listing fee "
    "settled by Friday.\n\nHonours Office"
)
BUYER = (
    "Hi, our inbound quotes get lost between sales and operations and we want every web "
    "inquiry routed to the right rep. We are about 120 people. Could we see a demo?"
)


def toy_model() -> LinearModel:
    """Spam that talks of shortlists, honours and fees; buyers that talk of quotes and demos."""
    spam = [
        "you have been shortlisted for the growth honours, settle the listing fee by friday",
        "congratulations, our editorial board shortlisted your company, the fee keeps your place",
        "winners gallery listing fee due friday, congratulations from the honours office",
    ]
    buyers = [
        "our quotes get lost between sales and operations, could we see a demo",
        "we want every inquiry routed to the right rep, about 120 people, demo please",
        "inbound inquiries are slow to reach our reps, can we book a demo",
    ]
    rows = [(LABELS.index("spam"), features(text)) for text in spam]
    rows += [(LABELS.index("none"), features(text)) for text in buyers]
    weights, priors = fit(
        rows, len(LABELS), LABELS.index("none"), l2=0.001, steps=300, learning_rate=4.0
    )
    return LinearModel(weights, priors)


def knockouts(extractor: OfflineExtractor, rubric: Rubric, text: str):
    lead = Lead(text=text, received_at=ARRIVED)
    return extractor.extract(lead, rubric)[0].knockouts


def test_a_lead_read_as_a_knockout_as_a_whole_is_knocked_out_with_a_sentence_as_evidence(
    default_rubric,
):
    model = toy_model()
    assert knockouts(OfflineExtractor(lead_intent=None), default_rubric, AWARD) == []
    hits = knockouts(OfflineExtractor(lead_intent=model), default_rubric, AWARD)
    assert [hit.id for hit in hits] == ["spam"]
    assert hits[0].evidence in AWARD and hits[0].evidence.startswith("Congratulations on being")
    assert knockouts(OfflineExtractor(lead_intent=model), default_rubric, BUYER) == []


def test_the_whole_lead_reading_counts_only_for_knockouts_the_rubric_has(default_rubric):
    without_spam = default_rubric.model_copy(
        update={"knockouts": [k for k in default_rubric.knockouts if k.id != "spam"]}
    )
    assert knockouts(OfflineExtractor(lead_intent=toy_model()), without_spam, AWARD) == []


def test_below_the_threshold_the_lead_is_not_read_as_a_knockout(monkeypatch):
    model = toy_model()
    found = read_intent(AWARD.lower(), model)
    assert found is not None and found.knockout == "spam"
    monkeypatch.setattr(lead_intent, "THRESHOLD", min(found.probability + 1e-9, 1.0))
    assert read_intent(AWARD.lower(), model) is None


@pytest.mark.parametrize("text", ["", "hi", "thanks!\n\n--"])
def test_texts_without_words_read_as_nothing(text):
    assert read_intent(text, toy_model()) is None


def test_the_shipped_weights_are_those_of_the_development_batches():
    """Edit a development batch, then run `python benchmarks/train_lead_models.py`."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "train_lead_models.py"), "--verify"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert lead_intent.shipped_model() is not None
    assert lead_need.shipped_model() is not None
