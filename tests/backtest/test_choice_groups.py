"""A criterion over joined fields (the call's month and day) and the choice groups
`rubric suggest` proposes for a criterion with many values."""

from __future__ import annotations

import numpy as np
import pytest

from bot.cli import main
from qualifiers.backtest import ScoredLead, roc_auc
from qualifiers.choice_groups import group_choices, group_codes, merge_equal_groups
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import RubricError, parse_rubric
from qualifiers.suggest import suggest

DATE_RUBRIC = """\
name: dates
criteria:
  - id: call_date
    label: Date of the call
    question: When?
    type: choice
    fields: [Month, Day]
    fields_joined: true
    choices:
      any_day: {label: Any day, points: 0, hints: ['.']}
  - id: demo
    label: Demo
    question: Demo?
    type: yes_no
    fields: [Demo]
    fields_only: true
    points: {yes: 10, no: 0}
tiers:
  - {id: hot, min_score: 60}
  - {id: cold, min_score: 0}
"""
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun")


def qualified(rubric_text: str, leads: list[Lead]) -> list[ScoredLead]:
    rubric, qualifier = parse_rubric(rubric_text), Qualifier(OfflineExtractor())
    return [ScoredLead.from_qualification(qualifier.qualify(lead, rubric)) for lead in leads]


def date_history(n: int = 6000, seed: int = 3) -> tuple[list[Lead], list[bool]]:
    """Some days of the campaign converted far better: a day effect no month or day alone
    shows (each month has good and bad days)."""
    rng = np.random.default_rng(seed)
    months, days = rng.choice(MONTHS, n), rng.integers(1, 29, n)
    dates = [(m, d) for m in MONTHS for d in range(1, 29)]
    good = {dates[i] for i in rng.choice(len(dates), len(dates) // 7, replace=False)}
    demo = rng.random(n) < 0.4
    effect = np.array(
        [2.2 if (m, int(d)) in good else 0.0 for m, d in zip(months, days, strict=True)]
    )
    labels = rng.random(n) < 1 / (1 + np.exp(-(-2.5 + effect + 0.8 * demo)))
    leads = [
        Lead(id=str(i), fields={"Month": m, "Day": str(d), "Demo": "yes" if x else "no"})
        for i, (m, d, x) in enumerate(zip(months, days, demo, strict=True))
    ]
    return leads, labels.tolist()


@pytest.fixture(scope="module")
def date_suggestion():
    leads, labels = date_history()
    scored = qualified(DATE_RUBRIC, leads)
    fields = [lead.fields for lead in leads]
    return suggest(DATE_RUBRIC, scored, labels, fields=fields), leads, labels, scored


def test_joined_fields_answer_with_both_values_or_not_at_all():
    rubric = parse_rubric(DATE_RUBRIC)
    extractor = OfflineExtractor()
    both, _ = extractor.extract(Lead(fields={"month": "MAY", "Day": "5"}), rubric)
    assert both.answers["call_date"].value == "any_day"
    assert both.answers["call_date"].evidence == "month: MAY; Day: 5"
    one, _ = extractor.extract(Lead(fields={"Month": "may"}, text="Day: 5"), rubric)
    assert "call_date" not in one.answers


def test_joined_fields_need_two_fields_and_count_in_the_version():
    with pytest.raises(RubricError, match="at least two"):
        parse_rubric(DATE_RUBRIC.replace("[Month, Day]", "[Month]"))
    joined = parse_rubric(DATE_RUBRIC)
    assert parse_rubric(DATE_RUBRIC.replace("    fields_joined: true\n", "")).version != (
        joined.version
    )


def test_suggestion_groups_the_days_and_ranks_held_out_leads_better(date_suggestion):
    suggestion, _, _, _ = date_suggestion
    [change] = suggestion.choice_groups
    assert change.criterion == "call_date" and change.old == ["any_day"]
    choices = suggestion.rubric.criterion("call_date").choices
    assert 2 <= len(choices) <= 12  # days earning the same points share a choice
    assert list(choices.values())[-1].hints == ["."]  # the catch-all is matched last
    assert suggestion.suggested_cv_auc > suggestion.original_cv_auc + 0.1
    assert any(p.criterion == "call_date" and p.new > 0 for p in suggestion.changed_points)


def test_the_written_groups_score_every_lead_as_the_fit_did(date_suggestion):
    suggestion, leads, labels, _ = date_suggestion
    rescored = qualified(suggestion.yaml_text, leads)
    keys = [lead.score for lead in rescored]
    assert roc_auc(keys, labels) == pytest.approx(suggestion.suggested_in_sample_auc)
    assert "fields_joined: true" in suggestion.yaml_text


def test_without_the_leads_fields_choices_stay_as_written(date_suggestion):
    _, _, labels, scored = date_suggestion
    plain = suggest(DATE_RUBRIC, scored, labels)
    assert plain.choice_groups == []
    assert list(plain.rubric.criterion("call_date").choices) == ["any_day"]


def test_groups_merge_by_points_and_unseen_values_fall_to_the_catch_all():
    groups = [("may 5",), ("may 6",), ("jun 1",), ()]
    merged, points = merge_equal_groups(groups, [3, 7, 3, 0])
    assert merged == [("may 6",), ("may 5", "jun 1"), ()] and points == [7, 3, 0]
    raw = np.asarray(["jun 1", "dec 24", None, "may 6"], dtype=object)
    assert group_codes(merged, raw).tolist() == [2, 3, 0, 1]
    choices = group_choices(merged, points)
    assert choices["group_2"].hints == ["^(?:may 5|jun 1)$"]
    assert choices["group_3"].label == "Any other value"


def test_the_cli_reads_the_fields_and_lists_the_groups(capsys, tmp_path):
    leads, labels = date_history(n=3000)
    data = tmp_path / "calls.csv"
    lines = ["Month,Day,Demo,Converted"] + [
        f"{lead.fields['Month']},{lead.fields['Day']},{lead.fields['Demo']},{int(won)}"
        for lead, won in zip(leads, labels, strict=True)
    ]
    data.write_text("\n".join(lines) + "\n")
    rubric = tmp_path / "dates.yaml"
    rubric.write_text(DATE_RUBRIC)
    out = tmp_path / "dates.suggested.yaml"

    history = ["--data", str(data), "--label", "Converted"]
    assert main(["rubric", "suggest", "--rubric", str(rubric), *history, "--out", str(out)]) == 0
    text = capsys.readouterr().out

    assert "Choices of call_date, grouped by points:" in text
    assert "  group_1: " in text and "  (were any_day)" in text
    assert main(["backtest", "--rubric", str(out), "--against", str(rubric), *history]) == 0
    assert capsys.readouterr().out.startswith("dates-suggested ranks leads better than dates")
