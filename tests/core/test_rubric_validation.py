"""Every kind of bad rubric is refused with file, line, field path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualifiers.rubric import RubricError, load_rubric, parse_rubric

VALID = """\
name: small
criteria:
  - id: budget
    label: Budget
    question: What budget is set aside?
    type: money
    required: true
    bands:
      - {min: 50000, points: 25}
      - {min: 10000, max: 49999, points: 15}
      - {max: 9999, points: 0}
  - id: authority
    label: Authority
    question: What is your role?
    type: choice
    choices:
      decision_maker: {points: 20, hints: ['\\bceo\\b']}
      unknown: {points: 0}
knockouts:
  - id: student
    label: Student
tiers:
  - {id: hot, min_score: 70, sla_minutes: 15}
  - {id: warm, min_score: 40}
  - {id: cold, min_score: 0}
"""


def issues_of(text: str) -> list[str]:
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    return [str(issue) for issue in caught.value.issues]


def test_the_valid_fixture_and_the_default_rubric_load():
    assert parse_rubric(VALID, "r.yaml").name == "small"
    rubric = load_rubric()
    assert [c.id for c in rubric.criteria] == [
        "budget",
        "authority",
        "need",
        "timeline",
        "company_size",
    ]
    assert rubric.max_points == 100


def test_a_word_where_a_number_belongs_names_file_line_and_field_path():
    text = VALID.replace(
        "{min: 10000, max: 49999, points: 15}", "{min: ten, max: 49999, points: 15}"
    )
    assert issues_of(text) == ["r.yaml:10: criteria[0].bands[1].min: expected a number, got 'ten'"]


def test_wrong_types_elsewhere_say_what_was_expected():
    text = VALID.replace("required: true", "required: maybe").replace(
        "sla_minutes: 15", "sla_minutes: soon"
    )
    assert issues_of(text) == [
        "r.yaml:7: criteria[0].required: expected true or false, got 'maybe'",
        "r.yaml:23: tiers[0].sla_minutes: expected a number, got 'soon'",
    ]


def test_malformed_yaml_names_the_line():
    (issue,) = issues_of(VALID.replace("{min: 50000, points: 25}", "{min: 50000, points: 25"))
    assert issue.startswith("r.yaml:10: invalid YAML:")


def test_duplicate_ids_are_refused():
    text = VALID.replace("id: authority", "id: budget").replace("id: warm", "id: hot")
    assert issues_of(text) == [
        "r.yaml:12: criteria[1].id: duplicate criterion id 'budget'",
        "r.yaml:24: tiers[1].id: duplicate tier id 'hot'",
    ]


def test_overlapping_bands_are_refused():
    (issue,) = issues_of(VALID.replace("min: 10000, max: 49999", "min: 10000, max: 50000"))
    assert issue == "r.yaml:9: criteria[0].bands[0]: band overlaps another band (ends at 50000)"


def test_gapped_bands_are_refused():
    (issue,) = issues_of(VALID.replace("{max: 9999, points: 0}", "{max: 9000, points: 0}"))
    assert (
        issue
        == "r.yaml:10: criteria[0].bands[1].min: gap between bands: expected min 9001, got 10000"
    )


def test_unknown_criterion_types_are_refused():
    (issue,) = issues_of(VALID.replace("type: money", "type: currency"))
    assert issue == (
        "r.yaml:6: criteria[0].type: expected one of 'money', 'number', 'months', 'choice', "
        "'yes_no' or 'text', got 'currency'"
    )


def test_tier_thresholds_out_of_order_are_refused():
    (issue,) = issues_of(VALID.replace("{id: warm, min_score: 40}", "{id: warm, min_score: 80}"))
    assert issue == (
        "r.yaml:24: tiers[1].min_score: thresholds out of order: expected tiers from highest "
        "min_score to lowest, got 80 after 70"
    )


def test_a_missing_required_field_and_an_unknown_field_are_named():
    text = VALID.replace("    question: What is your role?\n", "    qestion: What is your role?\n")
    assert issues_of(text) == [
        "r.yaml:12: criteria[1].question: required field is missing",
        "r.yaml:14: criteria[1].qestion: unknown field",
    ]


def test_an_invalid_hint_regex_is_refused():
    (issue,) = issues_of(VALID.replace("'\\bceo\\b'", "'(ceo'"))
    assert issue.startswith(
        "r.yaml:17: criteria[1].choices.decision_maker.hints: "
        "expected a regular expression, got '(ceo' (missing )"
    )
    assert issue.count("got") == 1


def test_an_empty_criteria_list_says_what_was_expected():
    (issue,) = issues_of("name: x\ncriteria: []\ntiers:\n  - {id: cold, min_score: 0}\n")
    assert issue == "r.yaml:2: criteria: expected at least 1 item(s)"


def test_a_copy_with_changes_gets_its_own_version(default_rubric):
    changed = default_rubric.model_copy(update={"name": "renamed"})
    assert changed.version != default_rubric.version
    assert default_rubric.model_copy().version == default_rubric.version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "r.yaml:1: expected a mapping with name, criteria, tiers; got an empty file"),
        ("# only a comment\n", "r.yaml:1: expected a mapping with name, criteria, tiers; got an"),
        ("- a\n- b\n", "r.yaml:1: expected a mapping with name, criteria, tiers; got list"),
        ("just words\n", "r.yaml:1: expected a mapping with name, criteria, tiers; got str"),
    ],
)
def test_empty_files_and_non_mappings_are_refused(text, expected):
    (issue,) = issues_of(text)
    assert issue.startswith(expected)


def test_binary_junk_is_refused(tmp_path: Path):
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(RubricError) as caught:
        load_rubric(junk)
    (issue,) = caught.value.issues
    assert str(issue) == f"{junk}: expected UTF-8 YAML text"
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"name: x\n\x00\x00")
    with pytest.raises(RubricError, match="expected YAML text, got binary data"):
        load_rubric(nul)


def test_a_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(RubricError, match=r"nope.yaml: cannot read file \(No such file"):
        load_rubric(tmp_path / "nope.yaml")


def test_every_issue_is_reported_at_once():
    text = VALID.replace("type: money", "type: currency").replace("min_score: 40", "min_score: x")
    assert len(issues_of(text)) == 2


def test_the_version_is_a_content_hash_that_ignores_comments_and_layout():
    base = parse_rubric(VALID)
    reformatted = parse_rubric(
        "# a comment\n" + VALID.replace("{id: cold, min_score: 0}", "{min_score: 0, id: cold}")
    )
    changed = parse_rubric(VALID.replace("points: 25", "points: 30"))
    assert base.version == reformatted.version
    assert base.version != changed.version


BILLION_LAUGHS = """\
name: laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_anchors_and_aliases_are_refused_before_they_expand(tmp_path):
    assert issues_of(BILLION_LAUGHS) == [
        "r.yaml:2: YAML anchor &a: not allowed in a rubric (write the value out in full)"
    ]
    shared = VALID.replace("    bands:\n", "    bands: &shared\n", 1)
    shared = shared.replace("  - id: authority\n", "  - id: authority\n    bands: *shared\n")
    assert issues_of(shared)[0].startswith("r.yaml:8: YAML anchor &shared")
    path = tmp_path / "alias.yaml"
    path.write_text(VALID + "extra: *missing\n", encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert str(caught.value) == (
        f"{path}:{VALID.count(chr(10)) + 1}: YAML alias *missing: "
        "not allowed in a rubric (write the value out in full)"
    )


def test_a_rubric_with_too_many_yaml_nodes_is_refused():
    hints = "".join(f"      - 'word{i}'\n" for i in range(25_000))
    text = VALID.replace("    label: Student\n", "    label: Student\n    hints:\n" + hints)
    (issue,) = issues_of(text)
    assert issue.startswith("r.yaml:")
    assert issue.endswith(": too large for a rubric (more than 20,000 YAML nodes)")
