"""The whole-lead reading of needs (qualifiers/extract/lead_need.py): asked only where the
need rules, a use-case answer and the sentence classifier found nothing, taken only at its
threshold, with a sentence of the lead as its evidence."""

from __future__ import annotations

import pytest

from qualifiers.extract import lead_need
from qualifiers.extract.lead_intent import features
from qualifiers.extract.lead_need import LABELS, read_need
from qualifiers.extract.linear import LinearModel, fit
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead

# A badge scan whose need no rule reads: the toy model below learns 'cherry pick' and
# 'rot' from its neighbours.
SCAN = (
    "Scan #0417 08:42\nrouting. reps cherry pick the good ones, the rest rot\n"
    "nice guy, wants a sandbox"
)
BROCHURE = "Scan #0418 09:10\nQ1 What brought you to the booth? > free coffee\nSend a brochure"


def toy_model() -> LinearModel:
    """Needs that talk of cherry-picking and rotting queues; visitors who want coffee and a
    brochure."""
    needs = [
        "reps cherry pick the good leads and the rest rot",
        "the queue rots while reps cherry pick",
        "good ones get picked, the rest rot in the queue for weeks",
    ]
    others = [
        "came for the free coffee, send a brochure",
        "just collecting brochures and coffee",
        "send me a brochure please, nice booth",
    ]
    rows = [(LABELS.index("need"), features(text)) for text in needs]
    rows += [(LABELS.index("none"), features(text)) for text in others]
    weights, priors = fit(
        rows, len(LABELS), LABELS.index("none"), l2=0.001, steps=300, learning_rate=4.0
    )
    return LinearModel(weights, priors)


def need(extractor: OfflineExtractor, rubric, text: str):
    answer = extractor.extract(Lead(text=text), rubric)[0].answers.get("need")
    return None if answer is None else (answer.value, answer.evidence)


def test_a_need_read_from_the_whole_lead_has_a_sentence_as_evidence(default_rubric):
    rules_alone = OfflineExtractor(lead_intent=None, lead_need=None)
    assert need(rules_alone, default_rubric, SCAN) is None
    value, evidence = need(OfflineExtractor(lead_need=toy_model()), default_rubric, SCAN)
    assert value is True
    assert "cherry pick" in evidence and evidence in SCAN
    brochure = need(OfflineExtractor(lead_need=toy_model()), default_rubric, BROCHURE)
    assert brochure is None or brochure[0] is not True


def test_below_the_threshold_the_lead_is_not_read_as_stating_a_need(monkeypatch):
    model = toy_model()
    probability = model.probabilities_of(features(SCAN.lower()))[0]
    assert read_need(SCAN.lower(), model) is not None
    monkeypatch.setattr(lead_need, "THRESHOLD", min(probability + 1e-9, 1.0))
    assert read_need(SCAN.lower(), model) is None


def test_a_need_the_rules_found_is_not_replaced(default_rubric):
    text = "Our month-end close breaks every month. " + SCAN
    rules = need(OfflineExtractor(lead_need=None), default_rubric, text)
    assert need(OfflineExtractor(lead_need=toy_model()), default_rubric, text) == rules


@pytest.mark.parametrize("text", ["", "hi", "thanks!\n\n--"])
def test_texts_without_words_read_as_no_need(text):
    assert read_need(text, toy_model()) is None
