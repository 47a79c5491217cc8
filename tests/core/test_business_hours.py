"""Working-hours SLAs: "due after N working minutes" over nights, weekends and DST changes,
and the rubric fields that configure them and round-robin assignment, refused by line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from core.test_rubric_validation import issues_of

from qualifiers.hours import BusinessHours, due_after, is_working
from qualifiers.rubric import parse_rubric

PARIS = BusinessHours(timezone="Europe/Paris", start="09:00", end="17:00")
NEW_YORK = BusinessHours(timezone="America/New_York", days=["mon", "tue", "wed", "thu", "fri"])


def paris(text: str) -> datetime:
    """A Paris wall-clock time, e.g. '2026-12-04 16:30' (a Friday)."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS.zone)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-12-02 10:00", 15, "2026-12-02 10:15"),  # inside the day
        ("2026-12-02 16:50", 15, "2026-12-03 09:05"),  # runs over the night
        ("2026-12-02 07:00", 15, "2026-12-02 09:15"),  # before opening
        ("2026-12-02 22:00", 60, "2026-12-03 10:00"),  # after closing
        ("2026-12-04 16:30", 60, "2026-12-07 09:30"),  # Friday evening to Monday
        ("2026-12-05 12:00", 30, "2026-12-07 09:30"),  # a Saturday
        ("2026-12-02 09:00", 480, "2026-12-02 17:00"),  # exactly one working day
        ("2026-12-02 09:00", 481, "2026-12-03 09:01"),
        ("2026-12-04 10:00", 2400, "2026-12-11 10:00"),  # five working days: a week
    ],
)
def test_due_after_counts_only_working_minutes(start, minutes, due):
    assert due_after(PARIS, paris(start), minutes) == paris(due)


@pytest.mark.parametrize(
    ("start_utc", "minutes", "due_utc"),
    [
        # Sunday 8 March 2026 the US springs forward: Monday opens at 13:00 UTC, not 14:00.
        ("2026-03-06T21:30:00+00:00", 60, "2026-03-09T13:30:00+00:00"),
        # Sunday 1 November 2026 it falls back: Monday opens at 14:00 UTC.
        ("2026-10-30T20:30:00+00:00", 60, "2026-11-02T14:30:00+00:00"),
    ],
)
def test_due_after_follows_the_local_clock_across_dst(start_utc, minutes, due_utc):
    start = datetime.fromisoformat(start_utc)
    assert due_after(NEW_YORK, start, minutes) == datetime.fromisoformat(due_utc)


def test_a_day_the_clocks_change_is_an_hour_shorter():
    """Paris springs forward at 02:00 on 29 March 2026; a day of 00:00-12:00 has 11 hours."""
    night = BusinessHours(timezone="Europe/Paris", days=["sun"], start="00:00", end="12:00")
    start = datetime(2026, 3, 29, tzinfo=night.zone)
    assert due_after(night, start, 11 * 60) == datetime(2026, 3, 29, 12, tzinfo=night.zone)
    next_sunday = datetime(2026, 4, 5, 0, 1, tzinfo=night.zone)
    assert due_after(night, start, 11 * 60 + 1) == next_sunday


def test_without_business_hours_every_minute_counts():
    start = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert due_after(None, start, 90) == datetime(2026, 12, 6, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "working"),
    [
        ("2026-12-02 09:00", True),
        ("2026-12-02 16:59", True),
        ("2026-12-02 17:00", False),
        ("2026-12-02 08:59", False),
        ("2026-12-05 11:00", False),  # Saturday
    ],
)
def test_is_working(when, working):
    assert is_working(PARIS, paris(when)) is working


RUBRIC = """\
name: small
criteria:
  - id: budget
    label: Budget
    question: What budget?
    type: money
    bands:
      - {min: 1, points: 10}
      - {max: 0, points: 0}
business_hours:
  timezone: Europe/Paris
  days: [mon, tue, wed, thu, fri]
  start: "09:00"
  end: "17:30"
tiers:
  - id: hot
    min_score: 70
    sla_minutes: 15
    assign: round_robin
    reps: [U0AAAA, U0BBBB]
    claim_window_minutes: 10
  - {id: cold, min_score: 0}
"""


def test_round_robin_and_business_hours_load():
    rubric = parse_rubric(RUBRIC, "r.yaml")
    hot = rubric.tier("hot")
    assert (hot.assign, hot.reps, hot.claim_window_minutes) == (
        "round_robin",
        ["U0AAAA", "U0BBBB"],
        10,
    )
    assert rubric.business_hours.end == "17:30"
    assert rubric.hours_of("U0AAAA") is rubric.business_hours


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "timezone: Europe/Paris",
            "timezone: Mars/Olympus",
            "r.yaml:11: business_hours.timezone: expected an IANA timezone",
        ),
        (
            'end: "17:30"',
            'end: "5pm"',
            "r.yaml:14: business_hours.end: expected a time of day such as 09:00, got '5pm'",
        ),
        ('end: "17:30"', 'end: "08:00"', "r.yaml:10: business_hours: expected start before end"),
        (
            "days: [mon, tue",
            "days: [monday, tue",
            "r.yaml:12: business_hours.days[0]: expected one of",
        ),
        (
            "reps: [U0AAAA, U0BBBB]",
            "reps: [alice]",
            "r.yaml:20: tiers[0].reps: expected Slack user ids",
        ),
        (
            "reps: [U0AAAA, U0BBBB]",
            "usergroup: sales",
            "r.yaml:20: tiers[0].usergroup: expected a Slack user group id",
        ),
        ("reps: [U0AAAA, U0BBBB]", "tags: [x]", "r.yaml:20: tiers[0].tags: unknown field"),
        (
            "assign: round_robin",
            "assign: lottery",
            "r.yaml:19: tiers[0].assign: expected one of 'claim' or 'round_robin'",
        ),
        (
            "    reps: [U0AAAA, U0BBBB]\n",
            "",
            "r.yaml:19: tiers[0].assign: expected `reps` or `usergroup` for round_robin",
        ),
        (
            "assign: round_robin",
            "assign: claim",
            "r.yaml:20: tiers[0].reps: applies only to `assign: round_robin`",
        ),
    ],
)
def test_bad_assignment_and_hours_are_refused_by_line(old, new, expected):
    assert old in RUBRIC
    found = issues_of(RUBRIC.replace(old, new))
    assert any(issue.startswith(expected) for issue in found), found


def test_rep_hours_keys_are_slack_users():
    text = RUBRIC + "rep_hours:\n  alice: {timezone: Asia/Tokyo}\n"
    assert issues_of(text) == [
        "r.yaml:24: rep_hours.alice: expected a Slack user id such as U0123ABCD"
    ]


def test_rubrics_without_the_new_fields_keep_their_version():
    """The version hash leaves out assignment and hours fields left at their defaults."""
    plain = parse_rubric(
        RUBRIC.split("business_hours:")[0] + "tiers:\n  - {id: cold, min_score: 0}\n"
    )
    spelled = parse_rubric(
        RUBRIC.split("business_hours:")[0]
        + "tiers:\n  - {id: cold, min_score: 0, assign: claim, reps: []}\n"
    )
    assert plain.version == spelled.version
