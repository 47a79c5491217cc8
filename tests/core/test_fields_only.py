"""`fields_only` criteria answer from structured columns alone, as back-tests on CSVs need."""

from __future__ import annotations

import pytest

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.rubric import RubricError, parse_rubric

RUBRIC = """\
name: structured
criteria:
  - id: source
    label: Lead source
    question: Where did the lead come from?
    type: choice
    fields: [Lead Source]
    fields_only: {fields_only}
    choices:
      referral: {{points: 10, hints: ['referral']}}
      other: {{points: 1}}
  - id: visits
    label: Visits
    question: How many visits?
    type: number
    fields: [Visits]
    fields_only: true
    bands:
      - {{min: 5, points: 5}}
      - {{max: 4, points: 0}}
tiers:
  - {{id: hot, min_score: 50}}
  - {{id: cold, min_score: 0}}
"""


def answers(fields_only: bool, lead: Lead) -> dict:
    rubric = parse_rubric(RUBRIC.format(fields_only=str(fields_only).lower()), "r.yaml")
    extraction, _ = OfflineExtractor().extract(lead, rubric)
    return {key: answer.value for key, answer in extraction.answers.items()}


def test_a_blank_column_stays_unanswered_even_when_other_columns_match():
    lead = Lead(fields={"Lead Source": "", "Notes": "came via referral", "Visits": "7"})
    assert answers(True, lead) == {"visits": 7}
    assert answers(False, lead)["source"] == "referral"


def test_the_named_column_still_answers():
    lead = Lead(fields={"Lead Source": "Partner referral", "Visits": "2"})
    assert answers(True, lead) == {"source": "referral", "visits": 2}


def test_text_lines_do_not_answer_a_fields_only_criterion():
    lead = Lead(text="Visits: 12\nLead Source: referral")
    assert answers(True, lead) == {}


def test_fields_only_without_fields_is_refused():
    text = RUBRIC.format(fields_only="true").replace("    fields: [Lead Source]\n", "")
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    assert [str(i) for i in caught.value.issues] == [
        "r.yaml:7: criteria[0].fields_only: expected `fields` to read when fields_only is set"
    ]


def test_an_unknown_parser_is_refused_with_the_known_ones():
    text = RUBRIC.format(fields_only="true").replace(
        "    type: number\n", "    type: number\n    parser: headcounts\n"
    )
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    (issue,) = caught.value.issues
    assert str(issue) == (
        "r.yaml:16: criteria[1].parser: expected one of 'money', 'headcount', 'timeline', "
        "'title' or 'need', got 'headcounts'"
    )
