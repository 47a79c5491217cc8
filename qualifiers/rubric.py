"""The rubric: a manager-owned YAML file, validated into pydantic models.

Loading never raises a traceback at a user: every problem becomes a `RubricIssue`
naming the file, the line, the field path and what was expected.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qualifiers.hours import BusinessHours
from qualifiers.models import AnswerValue


def bundled_rubric_path(name: str = "default.yaml") -> Path:
    """A rubric shipped as package data (the repository's rubrics/ folder, installed as
    `qualifiers.rubrics`), e.g. "default.yaml" or "examples/bank.yaml". A plain file path:
    pip installs packages as folders, and Slack's rubric replace writes back to the file."""
    return Path(resources.files("qualifiers.rubrics").joinpath(name))


DEFAULT_RUBRIC_PATH = bundled_rubric_path()
DISQUALIFIED = "disqualified"
MAX_RUBRIC_BYTES = 1_000_000
# The bundled rubric has about 350 YAML nodes; a rubric with 50 criteria of 20 hints each
# stays well under this. Past it (or with any alias) a file is refused before it is built.
MAX_RUBRIC_NODES = 20_000
_NO_REFERENCES = "not allowed in a rubric (write the value out in full)"

CriterionType = Literal["money", "number", "months", "choice", "yes_no", "text"]
NUMERIC_TYPES = ("money", "number", "months")
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SLACK_USER_PATTERN = r"^[UW][A-Z0-9]{2,}$"
SLACK_USERGROUP_PATTERN = r"^S[A-Z0-9]{2,}$"
Assignment = Literal["claim", "round_robin"]


class _Strict(BaseModel):
    """Frozen, so values derived from the content are computed once (`cached_property`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with changes has other derived values: forget the cached ones."""
        copy = super().model_copy(update=update, deep=deep)
        for name, attribute in vars(type(self)).items():
            if isinstance(attribute, cached_property):
                copy.__dict__.pop(name, None)
        return copy


class Hint(_Strict):
    """Teaches the offline qualifier: text matching `pattern` (a regex) answers `value`."""

    pattern: str
    value: AnswerValue

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"expected a regular expression, got {pattern!r} ({exc})") from None
        return pattern


class Band(_Strict):
    """Points for a numeric answer between `min` and `max`, both inclusive; open when absent."""

    min: int | None = None
    max: int | None = None
    points: int

    def contains(self, value: int) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        """The band's range as a manager reads it: `≥ 50,000`, `10,000–49,999`, `≤ 9`."""
        if self.min is None and self.max is None:
            return "any"
        if self.min is None:
            return f"≤ {self.max:,}"
        if self.max is None:
            return f"≥ {self.min:,}"
        return f"{self.min:,}–{self.max:,}"


class Choice(_Strict):
    label: str | None = None
    points: int
    hints: list[str] = Field(
        default_factory=list,
        description="Regexes (case-insensitive) that select this choice in text or a field value.",
    )

    @field_validator("hints")
    @classmethod
    def _hints_compile(cls, hints: list[str]) -> list[str]:
        for pattern in hints:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"expected a regular expression, got {pattern!r} ({exc})"
                ) from None
        return hints


class Criterion(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str
    question: str
    guidance: str = ""
    type: CriterionType
    required: bool = False
    fields: list[str] = Field(
        default_factory=list,
        description="Lead fields (form or CSV columns) read directly, before any text extraction.",
    )
    missing_values: list[str] = Field(
        default_factory=list,
        description="Field values that mean 'not answered' (an empty value always does).",
    )
    bands: list[Band] = Field(default_factory=list)
    choices: dict[str, Choice] = Field(default_factory=dict)
    points: dict[str, int] = Field(
        default_factory=dict,
        description="yes_no: {yes: N, no: M}; text: {answered: N}.",
    )
    hints: list[Hint] = Field(default_factory=list)
    fields_only: bool = Field(
        default=False,
        description="Answer only from `fields` (structured CSV/form data), never from the text.",
    )
    fields_joined: bool = Field(
        default=False,
        description="Read all of `fields` as one value, joined by a space ('may 5' from month "
        "and day): a criterion on their combination. Only from fields; unanswered unless all "
        "are given.",
    )
    parser: Literal["money", "headcount", "timeline", "title", "need"] | None = Field(
        default=None,
        description="Built-in offline parser; defaults from the type.",
    )

    @field_validator("points", mode="before")
    @classmethod
    def _yaml_yes_no_keys(cls, points: Any) -> Any:
        """YAML 1.1 reads a bare `yes:` key as true; managers mean the word."""
        if isinstance(points, dict):
            return {
                ({True: "yes", False: "no"}.get(k, k) if isinstance(k, bool) else k): v
                for k, v in points.items()
            }
        return points

    @cached_property
    def max_points(self) -> int:
        if self.type in NUMERIC_TYPES:
            return max((b.points for b in self.bands), default=0)
        if self.type == "choice":
            return max((c.points for c in self.choices.values()), default=0)
        return max(self.points.values(), default=0)


class Knockout(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str
    guidance: str = ""
    hints: list[str] = Field(default_factory=list, description="Regexes that trigger it offline.")
    competitors: list[str] = Field(
        default_factory=list,
        description="Competitor names or domains (acme.com): a lead who works there, or writes "
        "from an address at that domain, is knocked out.",
    )

    @field_validator("hints")
    @classmethod
    def _hints_compile(cls, hints: list[str]) -> list[str]:
        return Choice._hints_compile(hints)

    @field_validator("competitors")
    @classmethod
    def _competitors_named(cls, names: list[str]) -> list[str]:
        cleaned = [name.strip() for name in names]
        for name in cleaned:
            if len(name) < 2 or "\n" in name:
                raise ValueError(f"expected a competitor's name or domain, got {name!r}")
        return cleaned


class TierRule(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    min_score: int = Field(ge=0, le=100)
    channel: str | None = Field(default=None, description="Slack channel; default: sales channel.")
    sla_minutes: int | None = Field(default=None, gt=0)
    assign: Assignment = Field(
        default="claim",
        description="claim: any rep claims; round_robin: each lead is offered to one rep in turn.",
    )
    reps: list[str] = Field(
        default_factory=list, description="round_robin: Slack user ids (U…), in turn order."
    )
    usergroup: str | None = Field(
        default=None, description="round_robin: a Slack user group (S…) whose members take turns."
    )
    claim_window_minutes: int | None = Field(
        default=None,
        gt=0,
        description="round_robin: minutes the assigned rep has to claim before the next rep "
        "is asked; default LEADBOT_CLAIM_WINDOW_MINUTES.",
    )

    @field_validator("reps")
    @classmethod
    def _slack_users(cls, reps: list[str]) -> list[str]:
        for rep in reps:
            if not re.match(SLACK_USER_PATTERN, rep):
                raise ValueError(f"expected Slack user ids such as U0123ABCD, got {rep!r}")
        return reps

    @field_validator("usergroup")
    @classmethod
    def _slack_usergroup(cls, usergroup: str | None) -> str | None:
        if usergroup is not None and not re.match(SLACK_USERGROUP_PATTERN, usergroup):
            raise ValueError(f"expected a Slack user group id such as S0123ABCD, got {usergroup!r}")
        return usergroup


# Fields added after rubrics were first versioned, with their defaults: left at the default
# they are not part of the hash, so a rubric's version did not change when they were added.
_LATER_FIELDS = {"business_hours": None, "rep_hours": {}}
_LATER_CRITERION_FIELDS = {"fields_joined": False}
_LATER_TIER_FIELDS = {
    "assign": "claim",
    "reps": [],
    "usergroup": None,
    "claim_window_minutes": None,
}


def _drop_unset(content: dict, defaults: dict) -> None:
    for field, default in defaults.items():
        if content.get(field) == default:
            content.pop(field, None)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_MONTHS += ("september", "october", "november", "december")


class Rubric(_Strict):
    name: str
    description: str = ""
    fiscal_year_start: int = Field(
        default=1,
        ge=1,
        le=12,
        description="Month the fiscal year starts (1-12 or a month name): Q1-Q4, H1/H2 and "
        "'fiscal year end' in a lead count from it.",
    )
    criteria: list[Criterion] = Field(min_length=1)
    knockouts: list[Knockout] = Field(default_factory=list)
    tiers: list[TierRule] = Field(min_length=1)
    business_hours: BusinessHours | None = Field(
        default=None, description="SLAs count only these hours; round-robin skips reps outside."
    )
    rep_hours: dict[str, BusinessHours] = Field(
        default_factory=dict, description="A rep's own hours (Slack user id -> hours)."
    )

    def hours_of(self, rep: str) -> BusinessHours | None:
        """The hours a rep works: their own, else the team's, else any time."""
        return self.rep_hours.get(rep, self.business_hours)

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _month_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            name = value.strip().lower()
            starts = [i for i, month in enumerate(_MONTHS, 1) if month.startswith(name)]
            number = starts[0] if len(name) >= 3 and starts else None
            if number is None:
                raise ValueError(f"expected a month (1-12 or a name such as April), got {value!r}")
            return number
        return value

    @cached_property
    def version(self) -> str:
        """A hash of the rubric's content: comments and formatting do not change it."""
        content = self.model_dump(mode="json")
        _drop_unset(content, _LATER_FIELDS)
        for criterion in content["criteria"]:
            _drop_unset(criterion, _LATER_CRITERION_FIELDS)
        for tier in content["tiers"]:
            _drop_unset(tier, _LATER_TIER_FIELDS)
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @cached_property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def tier(self, tier_id: str) -> TierRule | None:
        return next((t for t in self.tiers if t.id == tier_id), None)


# --- loading with line-numbered errors ------------------------------------------------------


@dataclass(frozen=True)
class RubricIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RubricError(Exception):
    """A rubric that cannot be used, with every issue found."""

    def __init__(self, issues: list[RubricIssue]):
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric file; raises `RubricError` with every issue found."""
    path = Path(path) if path else DEFAULT_RUBRIC_PATH
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(
            [RubricIssue(name, None, "", f"cannot read file ({exc.strerror})")]
        ) from None
    if len(raw) > MAX_RUBRIC_BYTES:
        raise RubricError([RubricIssue(name, None, "", "file too large for a rubric (max 1 MB)")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RubricError([RubricIssue(name, None, "", "expected UTF-8 YAML text")]) from None
    return parse_rubric(text, name)


def parse_rubric(text: str, file: str = "<rubric>") -> Rubric:
    """Validate rubric YAML text; `file` only labels error messages."""
    if "\x00" in text:
        raise RubricError([RubricIssue(file, None, "", "expected YAML text, got binary data")])
    try:
        _check_yaml_shape(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError([RubricIssue(file, line, "", f"invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise RubricError(
            [RubricIssue(file, 1, "", f"expected a mapping with name, criteria, tiers; got {got}")]
        )
    lines = _line_index(node)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(
            [_issue_from_pydantic(file, lines, error) for error in exc.errors()]
        ) from None
    issues = [
        RubricIssue(file, _line_for(lines, path), _format_path(path), message)
        for path, message in _semantic_issues(rubric)
    ]
    if issues:
        raise RubricError(issues)
    return rubric


def _check_yaml_shape(text: str, file: str) -> None:
    """Refuses anchors, aliases and oversized documents from the parser's events, before any
    node is built: a few hundred bytes of nested aliases expand to billions of nodes."""
    nodes = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        problem = None
        if isinstance(event, yaml.AliasEvent):
            problem = f"YAML alias *{event.anchor}: {_NO_REFERENCES}"
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            problem = f"YAML anchor &{event.anchor}: {_NO_REFERENCES}"
        elif isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_RUBRIC_NODES:
                problem = f"too large for a rubric (more than {MAX_RUBRIC_NODES:,} YAML nodes)"
        if problem:
            raise RubricError([RubricIssue(file, event.start_mark.line + 1, "", problem)])


def _line_index(node: yaml.Node | None) -> dict[tuple, int]:
    """Map each field path, e.g. ('criteria', 2, 'bands', 1, 'min'), to its 1-based line."""
    index: dict[tuple, int] = {}

    def walk(current: yaml.Node, path: tuple) -> None:
        index[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = (*path, key_node.value)
                walk(value_node, key)
                index[key] = key_node.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            for position, item in enumerate(current.value):
                walk(item, (*path, position))

    if node is not None:
        walk(node, ())
    return index


def _line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _format_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_EXPECTED = {
    "int_parsing": "expected a number",
    "int_type": "expected a number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
}


def _issue_from_pydantic(file: str, lines: dict[tuple, int], error: dict) -> RubricIssue:
    path = tuple(part for part in error["loc"] if not _is_union_tag(part))
    kind = error["type"]
    if kind == "literal_error":
        message = f"expected one of {error['ctx']['expected']}"
    elif kind == "string_pattern_mismatch":
        message = "expected an id of lowercase letters, digits and underscores"
    elif kind == "too_short":
        message = f"expected at least {error['ctx']['min_length']} item(s)"
    elif kind in _EXPECTED:
        message = _EXPECTED[kind]
    else:
        message = error["msg"].removeprefix("Value error, ")
    if kind not in ("missing", "extra_forbidden", "too_short", "value_error") and "input" in error:
        message += f", got {_describe(error['input'])}"
    return RubricIssue(file, _line_for(lines, path), _format_path(path), message)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in (
        "int",
        "float",
        "str",
        "bool",
        "function-after[_compiles(), str]",
    )


def _assignment_issues(tier: TierRule, where: tuple) -> list[tuple[tuple, str]]:
    if tier.assign == "round_robin" and not tier.reps and tier.usergroup is None:
        return [((*where, "assign"), "expected `reps` or `usergroup` for round_robin")]
    if tier.assign == "claim":
        extra = [f for f in ("reps", "usergroup", "claim_window_minutes") if getattr(tier, f)]
        return [((*where, f), "applies only to `assign: round_robin`") for f in extra]
    return []


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _semantic_issues(rubric: Rubric) -> list[tuple[tuple, str]]:
    """Rules pydantic's field types cannot express: unique ids, bands, tiers, points per type."""
    issues: list[tuple[tuple, str]] = []
    seen: set[str] = set()
    for i, criterion in enumerate(rubric.criteria):
        where = ("criteria", i)
        if criterion.id in seen:
            issues.append(((*where, "id"), f"duplicate criterion id {criterion.id!r}"))
        seen.add(criterion.id)
        issues.extend(_criterion_issues(criterion, where))
    knockout_ids: set[str] = set()
    for i, knockout in enumerate(rubric.knockouts):
        if knockout.id in knockout_ids:
            issues.append((("knockouts", i, "id"), f"duplicate knockout id {knockout.id!r}"))
        knockout_ids.add(knockout.id)
    issues.extend(_tier_issues(rubric))
    for rep in rubric.rep_hours:
        if not re.match(SLACK_USER_PATTERN, rep):
            issues.append((("rep_hours", rep), "expected a Slack user id such as U0123ABCD"))
    if rubric.max_points <= 0:
        issues.append((("criteria",), "expected at least one criterion worth points"))
    return issues


def _criterion_issues(criterion: Criterion, where: tuple) -> list[tuple[tuple, str]]:
    issues: list[tuple[tuple, str]] = []
    kind = criterion.type
    if kind in NUMERIC_TYPES:
        if not criterion.bands:
            issues.append(((*where, "bands"), f"expected point bands for a {kind} criterion"))
        issues.extend(_band_issues(criterion.bands, (*where, "bands")))
    elif criterion.bands:
        issues.append(((*where, "bands"), f"bands apply to money, number and months, not {kind}"))
    if criterion.fields_only and not criterion.fields:
        issues.append(
            ((*where, "fields_only"), "expected `fields` to read when fields_only is set")
        )
    if criterion.fields_joined and len(criterion.fields) < 2:
        issues.append(((*where, "fields_joined"), "expected at least two `fields` to join"))
    if kind == "choice" and not criterion.choices:
        issues.append(((*where, "choices"), "expected choices for a choice criterion"))
    elif kind != "choice" and criterion.choices:
        issues.append(((*where, "choices"), f"choices apply to choice criteria, not {kind}"))
    allowed_points = {"yes_no": {"yes", "no"}, "text": {"answered"}}.get(kind, set())
    for key in criterion.points:
        if key not in allowed_points:
            expected = ", ".join(sorted(allowed_points)) or "nothing (use bands or choices)"
            issues.append(((*where, "points", key), f"expected points keys: {expected}"))
    if kind == "yes_no" and "yes" not in criterion.points:
        issues.append(((*where, "points"), "expected points for yes (and optionally no)"))
    for j, hint in enumerate(criterion.hints):
        issues.extend(_hint_value_issues(criterion, hint, (*where, "hints", j, "value")))
    return issues


def _hint_value_issues(criterion: Criterion, hint: Hint, where: tuple) -> list[tuple[tuple, str]]:
    value = hint.value
    if criterion.type in NUMERIC_TYPES and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return [(where, f"expected a number, got {value!r}")]
    if criterion.type == "choice" and value not in criterion.choices:
        return [(where, f"expected one of the choices {sorted(criterion.choices)}, got {value!r}")]
    if criterion.type == "yes_no" and not isinstance(value, bool):
        return [(where, f"expected true or false, got {value!r}")]
    return []


def _band_issues(bands: list[Band], where: tuple) -> list[tuple[tuple, str]]:
    issues: list[tuple[tuple, str]] = []
    for j, band in enumerate(bands):
        if band.min is not None and band.max is not None and band.min > band.max:
            issues.append(((*where, j), f"min {band.min} is above max {band.max}"))
    ordered = sorted(
        enumerate(bands), key=lambda item: -math.inf if item[1].min is None else item[1].min
    )
    for (_, low), (j, high) in itertools.pairwise(ordered):
        low_end = math.inf if low.max is None else low.max
        high_start = -math.inf if high.min is None else high.min
        if high_start <= low_end:
            issues.append(((*where, j), f"band overlaps another band (ends at {low.max})"))
        elif high_start != low_end + 1:
            issues.append(
                (
                    (*where, j, "min"),
                    f"gap between bands: expected min {int(low_end) + 1}, got {high.min}",
                )
            )
    return issues


def _tier_issues(rubric: Rubric) -> list[tuple[tuple, str]]:
    issues: list[tuple[tuple, str]] = []
    ids: set[str] = set()
    for i, tier in enumerate(rubric.tiers):
        if tier.id == DISQUALIFIED:
            issues.append((("tiers", i, "id"), f"{DISQUALIFIED!r} is reserved for knockouts"))
        if tier.id in ids:
            issues.append((("tiers", i, "id"), f"duplicate tier id {tier.id!r}"))
        ids.add(tier.id)
        if i and tier.min_score >= rubric.tiers[i - 1].min_score:
            issues.append(
                (
                    ("tiers", i, "min_score"),
                    "thresholds out of order: expected tiers from highest min_score to lowest, "
                    f"got {tier.min_score} after {rubric.tiers[i - 1].min_score}",
                )
            )
        issues.extend(_assignment_issues(tier, ("tiers", i)))
    if rubric.tiers and rubric.tiers[-1].min_score != 0:
        issues.append(
            (("tiers", len(rubric.tiers) - 1, "min_score"), "expected the last tier to start at 0")
        )
    return issues
