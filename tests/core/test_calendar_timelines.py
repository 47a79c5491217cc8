"""Calendar timelines count from when the lead arrived (`received_at`), table-driven.

Months are days / 30.4 rounded up, as the labelling guide converts them; quarters and halves
follow the rubric's `fiscal_year_start`; a date past or beyond 120 months is no timeline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml

from qualifiers.arrival import arrival_from_fields, parse_arrival
from qualifiers.extract.calendar import Calendar, find_calendar_deadlines
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import RubricError, parse_rubric

EXTRACTOR = OfflineExtractor()


def timeline(rubric, received: str, text: str = "", fields: dict | None = None):
    lead = Lead(text=text, fields=fields or {}, received_at=f"{received}T10:00:00Z")
    answer = EXTRACTOR.extract(lead, rubric)[0].answers.get("timeline")
    return None if answer is None else (answer.value, answer.evidence)


@pytest.mark.parametrize(
    ("received", "text", "months", "evidence"),
    [
        # month names, with and without day or year; end of / early / mid / before
        ("2026-11-20", "We need to sign by end of February.", 4, "by end of February"),
        ("2026-01-10", "We need to sign by end of February.", 2, "by end of February"),
        ("2026-09-15", "We want a decision before 1 January.", 4, "before 1 January"),
        ("2026-03-14", "We'd like to decide in May.", 3, "in May"),
        ("2026-06-14", "We'd like to decide in May.", 12, "in May"),
        ("2026-03-14", "Go-live by March 15th, 2027 at the latest.", 13, "by March 15th, 2027"),
        ("2026-02-01", "We plan to go live early April.", 3, "early April"),
        ("2026-02-01", "Decision mid-June.", 5, "mid-June"),
        # quarters, halves, EOQ, EOY
        ("2026-02-10", "We'd like to roll something out in Q3.", 8, "in Q3"),
        ("2026-10-10", "We'd like to roll something out in Q3.", 12, "in Q3"),
        ("2026-03-14", "Target: implement in Q1 2027.", 13, "in Q1 2027"),
        ("2026-05-06", "We must sign by EOQ.", 2, "EOQ"),
        ("2026-01-20", "Rollout planned for H2.", 12, "for H2"),
        ("2026-08-01", "Decision by the end of the year.", 5, "end of the year"),
        ("2026-01-15", "We want to buy by the start of Q2.", 3, "by the start of Q2"),
        ("2026-07-20", "We need it b4 the Q4 push starts.", 3, "b4 the Q4"),
        ("2025-09-22", "The idea is to implement in the first semester of next year.", 10, None),
        # seasons, years, weekdays, weeks
        ("2026-10-05", "Hoping to have it in place by next spring.", 8, "next spring"),
        ("2026-04-10", "Hoping to decide by next spring.", 14, "next spring"),
        ("2026-01-10", "We need to buy before the spring.", 2, "before the spring"),
        ("2026-03-02", "We're planning the replacement in 2027.", 23, "in 2027"),
        ("2026-04-07", "Can we decide by Friday?", 1, "by Friday"),
        ("2026-06-01", "We want to go live in 6 weeks.", 2, "in 6 weeks"),
        # numeric dates and an RFP's award date
        ("2026-04-01", "Contract award: 15 June 2026.", 3, "15 June 2026"),
        ("2026-04-01", "We must sign the contract by 2026-08-31.", 5, "by 2026-08-31"),
        # slashed dates the numbers say how to read (day first or month first)
        ("2027-02-23", "Decision before 30/06/2027.", 5, "before 30/06/2027"),
        ("2027-02-23", "Decision before 06/30/2027.", 5, "before 06/30/2027"),
        ("2026-12-08", "Queremos decidir até 31/01/2027.", 2, "até 31/01/2027"),
        # a tender's award date; a fiscal year's start with its day given
        ("2026-02-10", "Angebotsfrist: 16.03.2026\nZuschlag voraussichtlich: 30.04.2026", 3, None),
        (
            "2026-10-20",
            "- timing: wants a decision before the new fiscal year starts, 1 April 2027",
            6,
            "1 April 2027",
        ),
        # other languages
        ("2026-06-01", "Wir möchten bis Ende Juli entscheiden.", 2, "bis Ende Juli"),
        ("2026-02-02", "Nous voulons décider d'ici fin juin.", 5, "fin juin"),
        ("2026-07-10", "Queremos decidir antes de septiembre.", 2, "antes de septiembre"),
        ("2026-03-20", "We willen eind mei beslissen.", 3, "eind mei"),
        ("2026-08-03", "Queremos implantar até o final de setembro.", 2, "até o final de setembro"),
        ("2026-02-02", "Décision prévue au T3 2026.", 8, None),
        ("2025-09-03", "Entscheidung bis Ende des ersten Quartals 2026.", 7, "ersten Quartals"),
        ("2026-09-15", "Queremos implantar em 6 semanas.", 2, "em 6 semanas"),
        ("2026-09-15", "Nous voulons décider dans 6 semaines.", 2, "dans 6 semaines"),
        # an RFP's schedule with dot leaders; a decision due before an event; a day of month
        ("2025-05-22", "3. SCHEDULE\nAnticipated contract award ..... 1 August 2025", 3, None),
        ("2026-07-15", "A decision before the board meeting on 25 September.", 3, "25 September"),
        ("2027-10-12", "We're choosing a vendor by the 29th of this month.", 1, "the 29th"),
        ("2027-10-12", "We decide by the 5th.", 1, "by the 5th"),  # passed: next month's
        # postponed is still ahead; what comes after a period is not the deadline
        ("2026-07-07", "Since you asked: the decision has been pushed to Q1 2027.", 9, "Q1 2027"),
        ("2027-11-16", "Go-live after our year-end freeze; we decide in February.", 4, "February"),
        # SDR shorthand
        ("2027-03-02", "Bdgt: n/a. TL: H2. Next: send case study", 10, "H2"),
        # a tentative plan is still a timeline; "not urgent" is none
        ("2026-02-10", "whats ur pricing for 2 seats. Q3 maybe", 8, "Q3"),
        ("2026-10-05", "Might think about it next spring.", 8, "next spring"),
        ("2026-06-10", "We'll make a call on it this month.", 1, "this month"),
        ("2026-06-29", "Not urgent, we might look at tools like this in 2027.", 19, "in 2027"),
        ("2025-06-01", "Wanneer wilt u beslissen?: voor 1 juli", 1, "1 juli"),
    ],
)
def test_calendar_expressions_count_from_the_arrival_day(
    default_rubric, received, text, months, evidence
):
    value, quote = timeline(default_rubric, received, text)
    assert value == months
    assert evidence is None or evidence in quote


@pytest.mark.parametrize(
    ("received", "text"),
    [
        ("2026-02-15", "We were founded in March 2019 and want to decide soon-ish."),
        ("2026-02-15", "We had an outage in January 2026 and decided to look around."),
        ("2026-04-01", "Deadline for questions: 30 April 2026."),
        ("2026-03-14", "We'd like to go live in 2040."),  # beyond 120 months
        ("2026-03-14", "May we ask whether you integrate with SAP before we decide?"),
        ("2026-12-01", "Chat started 01.12.2026, the visitor wants to decide on a tool."),
        ("2027-02-23", "Decision before 05/06/2027."),  # May or June: it reads both ways
        ("2026-04-01", "Let's have a demo call on 25 May before we decide anything."),
        ("2026-04-01", "Proposals due ..... 15 May 2026"),
    ],
)
def test_past_dates_other_dates_and_far_dates_are_no_timeline(default_rubric, received, text):
    assert timeline(default_rubric, received, text) is None


def test_a_form_field_may_hold_a_calendar_date(default_rubric):
    fields = {"Timeline": "by the start of Q2"}
    assert timeline(default_rubric, "2026-01-15", fields=fields) == (
        3,
        "Timeline: by the start of Q2",
    )
    assert timeline(default_rubric, "2026-04-15", fields=fields)[0] == 12


def test_this_years_budget_is_no_deadline_and_wrapped_lines_are_one_sentence(default_rubric):
    text = (
        "We have $18,000 left in this year's budget and need to buy before our new fiscal\n"
        "year starts."
    )
    assert timeline(default_rubric, "2026-08-10", text)[0] == 5


def _rubric_with_fiscal_start(rubric, start) -> object:
    data = rubric.model_dump()
    data["fiscal_year_start"] = start
    return type(rubric).model_validate(data)


@pytest.mark.parametrize(
    ("start", "text", "months"),
    [
        (1, "Roll-out in Q1.", 1),  # 2026-03-31
        (4, "Roll-out in Q1.", 4),  # fiscal Q1 = April-June
        ("April", "Roll-out in Q1.", 4),
        ("oct", "We must buy before our fiscal year ends.", 7),  # FY Oct-Sep: 2026-09-30
        (7, "Decision in H1.", 10),  # July-December 2026
    ],
)
def test_quarters_and_halves_follow_the_rubric_fiscal_year(default_rubric, start, text, months):
    rubric = _rubric_with_fiscal_start(default_rubric, start)
    assert timeline(rubric, "2026-03-14", text)[0] == months


def test_a_fiscal_year_the_lead_describes_wins_for_that_lead(default_rubric):
    text = "We need the contract signed before our fiscal year starts in July."
    assert timeline(default_rubric, "2027-02-08", text)[0] == 5


@pytest.mark.parametrize("start", [0, 13, "Smarch", "ju"])
def test_fiscal_year_start_is_validated(default_rubric, start):
    data = default_rubric.model_dump()
    data["fiscal_year_start"] = start
    with pytest.raises(RubricError) as error:
        parse_rubric(yaml.safe_dump(data))
    assert "fiscal_year_start" in str(error.value)


def test_months_are_counted_like_the_labelling_guide():
    calendar = Calendar(date(2026, 3, 14))
    assert calendar.months_until(date(2026, 3, 14)) == 1
    assert calendar.months_until(date(2026, 6, 13)) == 3  # 91 days / 30.4 = 2.99
    assert calendar.months_until(date(2026, 6, 14)) == 4
    assert calendar.months_until(date(2026, 3, 13)) is None
    assert calendar.months_until(date(2036, 4, 1)) is None  # beyond 120 months


def test_overlapping_expressions_count_once():
    found = find_calendar_deadlines("by the end of q3 2026", Calendar(date(2026, 3, 14)))
    assert [(f.value, f.start, f.end) for f in found] == [(7.0, 0, 21)]


# --- when a lead arrived ----------------------------------------------------------------


def test_a_lead_without_received_at_is_dated_by_the_qualifiers_clock(default_rubric):
    clock = lambda: datetime(2026, 11, 20, tzinfo=UTC)  # noqa: E731
    qualifier = Qualifier(EXTRACTOR, clock=clock)
    lead = Lead(text="We want to decide by end of February. I'm the CFO.")
    [result] = qualifier.qualify_many([lead], default_rubric)
    assert next(c.value for c in result.criteria if c.id == "timeline") == 4
    later = Qualifier(EXTRACTOR, clock=lambda: datetime(2027, 1, 20, tzinfo=UTC))
    assert (
        next(c.value for c in later.qualify(lead, default_rubric).criteria if c.id == "timeline")
        == 2
    )


def test_a_date_field_dates_the_lead_before_the_clock(default_rubric):
    qualifier = Qualifier(EXTRACTOR, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    lead = Lead(text="Decision by end of February.", fields={"Created": "2026-11-20"})
    result = qualifier.qualify(lead, default_rubric)
    assert next(c.value for c in result.criteria if c.id == "timeline") == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-14", datetime(2026, 3, 14, tzinfo=UTC)),
        ("2026-03-14T09:30:00Z", datetime(2026, 3, 14, 9, 30, tzinfo=UTC)),
        ("14.03.2026", datetime(2026, 3, 14, tzinfo=UTC)),
        ("2026/03/14", datetime(2026, 3, 14, tzinfo=UTC)),
        ("last Tuesday", None),
        ("31.02.2026", None),
    ],
)
def test_arrival_dates_parse(value, expected):
    assert parse_arrival(value) == expected


def test_only_date_named_fields_date_a_lead():
    assert arrival_from_fields({"Timeline": "2026-05-01", "Date": "2026-03-14"}) == datetime(
        2026, 3, 14, tzinfo=UTC
    )
    assert arrival_from_fields({"Timeline": "2026-05-01"}) is None
