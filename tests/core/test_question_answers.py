"""Questions answered in a lead's text read like form fields; knockout words the writer
denies are not knockouts; an introducer's own title is not the lead's."""

from __future__ import annotations

import pytest

from qualifiers.extract.answers import question_answer_pairs
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead

OFFLINE = OfflineExtractor()


def _extract(rubric, text: str, received_at: str | None = "2026-04-08"):
    extraction, _ = OFFLINE.extract(Lead(text=text, received_at=received_at), rubric)
    return extraction


def test_arrow_and_two_line_answers_become_pairs():
    text = "Job title? -> Sales Ops Manager\nBot: Got it. What's your role?\nVisitor: CFO\n"
    pairs = [(pair.key, pair.value) for pair in question_answer_pairs(text)]
    assert pairs == [("Job title?", "Sales Ops Manager"), ("What's your role?", "CFO")]
    for pair in question_answer_pairs(text):
        assert text[pair.start : pair.end].endswith(pair.value)


def test_a_badge_scanners_answers_after_a_question_mark_and_angle_bracket(default_rubric):
    text = (
        "Scan #0417 08:42\nQ1 What brought you to the booth? > lead routing\n"
        "Q3 Budget range? > 10-25k\nQ5 OK to follow up? > yes\n"
    )
    pairs = [(pair.key, pair.value) for pair in question_answer_pairs(text)]
    assert ("Budget range?", "10-25k") in pairs
    assert _extract(default_rubric, text).answers["budget"].value == 10_000
    assert question_answer_pairs("Our margin > 10% this year") == []


def test_a_visitor_asking_us_is_no_form_question():
    assert question_answer_pairs("Visitor: what does it cost?\nBot: It depends.") == []


def test_booking_answers_are_read_like_fields(default_rubric):
    text = (
        "Q: How many employees does your company have?\nA: 51-200\n"
        "Q: What's your role?\nA: VP of Sales\n"
        "Q: When would you like a solution in place?\nA: by end of May\n"
    )
    answers = _extract(default_rubric, text).answers
    assert answers["company_size"].value == 51
    assert answers["authority"].value == "decision_maker"
    assert answers["timeline"].value == 2


@pytest.mark.parametrize(
    "text",
    [
        "We're a recruitment agency, but I'm not looking for a job: our consultants waste hours "
        "on inbound requests that never turn into work.",
        'Before you file this under "academic research": I run admissions operations and we '
        "want to buy software.",
    ],
)
def test_denied_or_quoted_knockout_words_are_a_mention(default_rubric, text):
    assert _extract(default_rubric, text).knockouts == []


def test_an_introducers_signature_is_not_the_leads_role(default_rubric):
    text = (
        "Hi Tom,\n\nWanted to put you in touch with Sofia at Vela Analytics (cc). Their leads "
        "sit in a shared inbox for days.\n\nBest,\nWill Harrington\nSales Director, Cobalt Ridge"
    )
    assert "authority" not in _extract(default_rubric, text).answers
