"""Suggest rubric points and tier thresholds from leads whose outcomes are known.

The suggestion keeps the rubric a manager can read: the same criteria, choices and hints, new
points and thresholds, its own name, and for numeric criteria bands redrawn from the values past
leads gave (`qualifiers.bands`; neighbouring bands earning the same points are merged).
Points come from an L2-regularised logistic regression over the criteria's answers (one column
per band, choice or yes/no, "no answer" as the zero baseline), fitted with every weight >= 0
because an answer can only earn points. Weights are scaled so the best answers add up to 100
and rounded to whole points. Tier thresholds keep each tier's share of leads, so the sales
team's workload stays the same and the leads in each tier get better.

Cross-validation refits the points on each training fold and scores the held-out fold with the
whole-point rubric, so the reported gain is what a new lead would see, not an over-fitted one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import yaml
from pydantic import BaseModel, Field

from qualifiers.backtest import ScoredLead, ranking_keys, roc_auc
from qualifiers.bands import (
    band_codes,
    band_yaml,
    merge_equal_bands,
    propose_bands,
    whole_numbers,
)
from qualifiers.choice_groups import (
    Members,
    fewer_levels,
    fine_groups,
    group_choices,
    group_codes,
    has_many_values,
    merge_equal_groups,
)
from qualifiers.extract.offline import CriterionRules
from qualifiers.models import AnswerValue
from qualifiers.rubric import (
    DISQUALIFIED,
    NUMERIC_TYPES,
    Band,
    Choice,
    Criterion,
    Rubric,
    parse_rubric,
)
from qualifiers.scoring import normalise_number

POINTS_TOTAL = 100


@dataclass(frozen=True)
class AnswerOptions:
    """The answers a criterion can score, in rubric order; code 0 is 'no answer or no match'."""

    criterion: Criterion
    index: int
    keys: tuple[str, ...]
    groups: tuple[Members, ...] | None = None  # choices proposed from the values (choice_groups)

    @classmethod
    def of(cls, criterion: Criterion, index: int) -> AnswerOptions:
        if criterion.type in NUMERIC_TYPES:
            keys = tuple(_band_label(band.min, band.max) for band in criterion.bands)
        elif criterion.type == "choice":
            keys = tuple(criterion.choices)
        else:
            keys = tuple(criterion.points)
        return cls(criterion, index, keys)

    @classmethod
    def grouped(
        cls, criterion: Criterion, index: int, groups: Sequence[Members], points: Sequence[int]
    ) -> AnswerOptions:
        """A choice criterion whose choices are groups of its values, one option each."""
        choices = group_choices(groups, points)
        copy = criterion.model_copy(update={"choices": choices})
        return cls(copy, index, tuple(choices), tuple(groups))

    def code(self, value: AnswerValue | None) -> int:
        """Mirrors `scoring.points_for`: the option an answer earns its points from."""
        criterion = self.criterion
        if value is None:
            return 0
        if criterion.type in NUMERIC_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return 0
            whole = normalise_number(criterion, value)
            return next((j + 1 for j, b in enumerate(criterion.bands) if b.contains(whole)), 0)
        if criterion.type == "choice":
            key = str(value)
        elif criterion.type == "yes_no":
            if not isinstance(value, bool):
                return 0
            key = "yes" if value else "no"
        else:
            key = "answered" if str(value).strip() else ""
        return self.keys.index(key) + 1 if key in self.keys else 0

    def points(self) -> list[int]:
        criterion = self.criterion
        if criterion.type in NUMERIC_TYPES:
            return [band.points for band in criterion.bands]
        if criterion.type == "choice":
            return [choice.points for choice in criterion.choices.values()]
        return list(criterion.points.values())

    def yaml_path(self, option: int) -> tuple:
        """Where option `option` (0-based) keeps its points in the rubric file."""
        where = ("criteria", self.index)
        if self.criterion.type in NUMERIC_TYPES:
            return (*where, "bands", option, "points")
        if self.criterion.type == "choice":
            return (*where, "choices", self.keys[option], "points")
        return (*where, "points", self.keys[option])


def _band_label(low: int | None, high: int | None) -> str:
    if low is None:
        return f"<= {high}" if high is not None else "any"
    return f">= {low}" if high is None else f"{low}-{high}"


def answer_options(rubric: Rubric) -> list[AnswerOptions]:
    return [AnswerOptions.of(criterion, i) for i, criterion in enumerate(rubric.criteria)]


def encode(options: Sequence[AnswerOptions], scored: Sequence[ScoredLead]) -> np.ndarray:
    """(leads x criteria) matrix of option codes, 0 meaning the criterion earned nothing."""
    codes = np.zeros((len(scored), len(options)), dtype=np.int32)
    for column, option in enumerate(options):
        known: dict[tuple[type, AnswerValue | None], int] = {}  # True == 1, so key on the type too
        for row, lead in enumerate(scored):
            value = lead.values[column]
            key = (type(value), value)
            if key not in known:
                known[key] = option.code(value)
            codes[row, column] = known[key]
    return codes


# --- fitting ------------------------------------------------------------------------------------


def fit_nonnegative_logistic(
    codes: np.ndarray,
    sizes: Sequence[int],
    labels: np.ndarray,
    *,
    l2: float = 1.0,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
) -> list[np.ndarray]:
    """Per-criterion weights (one per option, all >= 0; 'no answer' is the 0 baseline).

    Projected Newton (Bertsekas): weights held at 0 by a gradient pushing them below stay fixed,
    the others take a Newton step, and a backtracking line search keeps the loss going down.
    The intercept is free and unpenalised.
    """
    design = one_hot(codes, sizes)
    y = labels.astype(float)
    penalty = np.r_[0.0, np.full(design.shape[1] - 1, l2)]
    bounded = penalty > 0
    weights = np.zeros(design.shape[1])
    rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
    weights[0] = np.log(rate / (1 - rate))

    def loss(w: np.ndarray) -> float:
        linear = design @ w
        return float((np.logaddexp(0.0, linear) - y * linear).sum() + 0.5 * (penalty * w * w).sum())

    current = loss(weights)
    for _ in range(max_iterations):
        probability = 1.0 / (1.0 + np.exp(-(design @ weights)))
        gradient = design.T @ (probability - y) + penalty * weights
        hessian = (design.T * (probability * (1 - probability))) @ design + np.diag(penalty)
        free = ~(bounded & (weights <= 0) & (gradient > 0))
        direction = np.zeros_like(weights)
        direction[free] = -np.linalg.solve(hessian[np.ix_(free, free)], gradient[free])
        step = 1.0
        while True:
            candidate = weights + step * direction
            candidate[bounded] = np.maximum(candidate[bounded], 0.0)
            candidate_loss = loss(candidate)
            if candidate_loss <= current + 1e-4 * gradient @ (candidate - weights) or step < 1e-8:
                break
            step /= 2
        moved = float(np.abs(candidate - weights).max())
        weights, current = candidate, candidate_loss
        if moved < tolerance:
            break
    return np.split(weights[1:], np.cumsum(sizes)[:-1])


def one_hot(codes: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Design matrix: an intercept column, then one column per option of each criterion."""
    offsets = np.cumsum([1, *sizes])[:-1]
    design = np.zeros((len(codes), 1 + sum(sizes)))
    design[:, 0] = 1.0
    rows = np.arange(len(codes))
    for column, offset in enumerate(offsets):
        answered = codes[:, column] > 0
        design[rows[answered], offset + codes[answered, column] - 1] = 1.0
    return design


def whole_points(weights: Sequence[np.ndarray], total: int = POINTS_TOTAL) -> list[list[int]]:
    """Scale weights so each criterion's best answer sums to `total`, rounded to whole points."""
    best = sum(float(w.max()) for w in weights if len(w))
    if best <= 0:
        return [[0] * len(w) for w in weights]
    return [np.rint(w * (total / best)).astype(int).tolist() for w in weights]


def scores_for(codes: np.ndarray, points: Sequence[Sequence[int]]) -> np.ndarray:
    """The 0-100 score `scoring.score` gives for these answers under these points."""
    earned = np.zeros(len(codes), dtype=np.int64)
    for column, option_points in enumerate(points):
        earned += np.asarray([0, *option_points], dtype=np.int64)[codes[:, column]]
    max_points = sum(max(option_points, default=0) for option_points in points)
    if max_points <= 0:
        return np.zeros(len(codes), dtype=int)
    return np.clip(np.rint(100 * earned / max_points), 0, 100).astype(int)


def thresholds_keeping_shares(scores: np.ndarray, shares: Sequence[float]) -> list[int]:
    """min_score per tier so each tier holds about the given share of leads (last tier: 0)."""
    thresholds: list[int] = []
    cumulative = 0.0
    candidates = np.arange(1, 101)
    share_at_or_above = (scores[None, :] >= candidates[:, None]).mean(axis=1)
    for position, share in enumerate(shares[:-1]):
        cumulative += share
        best = int(candidates[np.argmin(np.abs(share_at_or_above - cumulative))])
        tiers_left_below = len(shares) - 2 - position
        upper = thresholds[-1] - 1 if thresholds else 100
        thresholds.append(max(min(best, upper), tiers_left_below + 1))
    return [*thresholds, 0]


# --- the suggestion -----------------------------------------------------------------------------


class PointChange(BaseModel):
    criterion: str
    answer: str
    old: int
    new: int


class ThresholdChange(BaseModel):
    tier: str
    old: int
    new: int
    share: float = Field(description="Share of the leads (not knocked out) in this tier")


class BandChange(BaseModel):
    criterion: str
    old: list[str]
    new: list[str]


class ChoiceGroupChange(BaseModel):
    criterion: str
    old: list[str] = Field(description="The original choices")
    new: list[str] = Field(description="The proposed choices: `key: values`")


class NameChange(BaseModel):
    old: str
    new: str


class FoldAUC(BaseModel):
    original: float | None
    suggested: float | None


class Suggestion(BaseModel):
    rubric: Rubric
    yaml_text: str
    rows: int
    positives: int
    folds: list[FoldAUC]
    original_auc: float | None = Field(description="On all leads: the original is not fitted")
    original_cv_auc: float | None = Field(description="Mean over the held-out folds")
    suggested_cv_auc: float | None = Field(description="Fitted on 4 folds, scored on the 5th")
    suggested_cv_auc_std: float | None
    suggested_in_sample_auc: float | None = Field(description="Fitted and scored on all leads")
    points: list[PointChange]
    bands: list[BandChange] = Field(description="Numeric criteria whose bands the fit redrew")
    choice_groups: list[ChoiceGroupChange] = Field(
        default_factory=list, description="Choice criteria with many values, regrouped"
    )
    thresholds: list[ThresholdChange]
    name: NameChange

    @property
    def changed_points(self) -> list[PointChange]:
        """The answers whose points move, biggest move first."""
        moved = [p for p in self.points if p.old != p.new]
        return sorted(moved, key=lambda p: -abs(p.new - p.old))

    def public_dict(self) -> dict:
        data = self.model_dump(mode="json", exclude={"rubric", "yaml_text"})
        data["changed_points"] = [p.model_dump() for p in self.changed_points]
        return data


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold number per lead, each fold with about the same share of positives."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=int)
    for outcome in (True, False):
        members = rng.permutation(np.flatnonzero(labels == outcome))
        assignment[members] = np.arange(len(members)) % folds
    return assignment


@dataclass(frozen=True)
class _Answers:
    """The leads' answers as codes under the original rubric, and the numbers behind bands."""

    options: list[AnswerOptions]
    codes: np.ndarray
    wholes: dict[int, np.ndarray]  # criterion index -> whole numbers (NaN: unanswered)
    raws: dict[int, np.ndarray]  # choice criterion with many values -> its values (None: none)

    @classmethod
    def of(
        cls,
        rubric: Rubric,
        scored: Sequence[ScoredLead],
        fields: Sequence[Mapping[str, str]] | None = None,
    ) -> _Answers:
        options = answer_options(rubric)
        wholes = {
            o.index: whole_numbers(o.criterion, [lead.values[o.index] for lead in scored])
            for o in options
            if o.criterion.type in NUMERIC_TYPES
        }
        raws = {}
        for o in options:
            if fields is not None and o.criterion.type == "choice" and o.criterion.fields:
                rules = CriterionRules(o.criterion)
                raw = np.asarray([rules.field_text(dict(f)) for f in fields], dtype=object)
                if has_many_values(raw):
                    raws[o.index] = raw
        return cls(options, encode(options, scored), wholes, raws)

    def rebanded(self, rows: np.ndarray, propose: bool) -> list[AnswerOptions]:
        """The options with bands and choice groups proposed from the leads in `rows` (when
        `propose`)."""
        if not propose:
            return list(self.options)
        options = []
        for o in self.options:
            if o.index in self.wholes:
                bands = propose_bands(o.criterion.bands, self.wholes[o.index][rows])
                o = AnswerOptions.of(o.criterion.model_copy(update={"bands": bands}), o.index)
            elif o.index in self.raws:
                groups = fine_groups(self.raws[o.index][rows])
                o = AnswerOptions.grouped(o.criterion, o.index, groups, [0] * len(groups))
            options.append(o)
        return options

    def codes_under(self, options: Sequence[AnswerOptions], rows: np.ndarray) -> np.ndarray:
        """Option codes of the leads in `rows` under `options` (same criteria, maybe new bands
        or choice groups)."""
        codes = self.codes[rows].copy()
        for o in options:
            original = self.options[o.index].criterion.bands
            if o.groups is not None:
                codes[:, o.index] = group_codes(o.groups, self.raws[o.index][rows])
            elif o.index in self.wholes and o.criterion.bands != original:
                codes[:, o.index] = band_codes(o.criterion.bands, self.wholes[o.index][rows])
        return codes


@dataclass(frozen=True)
class _Fit:
    options: list[AnswerOptions]
    points: list[list[int]]
    thresholds: list[int]
    tier_shares: list[float]


def _fit(
    rubric: Rubric,
    answers: _Answers,
    rows: np.ndarray,
    labels: np.ndarray,
    knocked_out: np.ndarray,
    original_tiers: np.ndarray,
    l2: float,
    propose: bool,
) -> _Fit:
    options = answers.rebanded(rows, propose)
    codes = answers.codes_under(options, rows)
    outcome = labels[rows]
    weights = fit_nonnegative_logistic(codes, [len(o.keys) for o in options], outcome, l2=l2)
    points = [
        fewer_levels(p) if o.groups is not None else p
        for o, p in zip(options, whole_points(weights), strict=True)
    ]
    if not any(any(p) for p in points):
        raise ValueError("no criterion's answers predict the outcome: nothing to suggest")
    eligible = ~knocked_out[rows]
    tier_ids = [tier.id for tier in rubric.tiers]
    counted = original_tiers[rows][eligible]
    shares = [float((counted == tier).mean()) if len(counted) else 0.0 for tier in tier_ids]
    thresholds = thresholds_keeping_shares(scores_for(codes[eligible], points), shares)
    return _Fit(options, points, thresholds, shares)


def _merged(fit: _Fit) -> _Fit:
    """The fit with neighbouring bands, and choice groups, that earn the same points merged:
    same scores."""
    options, points = [], []
    for option, option_points in zip(fit.options, fit.points, strict=True):
        if option.groups is not None:
            groups, option_points = merge_equal_groups(option.groups, option_points)
            option = AnswerOptions.grouped(option.criterion, option.index, groups, option_points)
        elif option.criterion.type in NUMERIC_TYPES:
            bands = merge_equal_bands(option.criterion.bands, option_points)
            option = AnswerOptions.of(
                option.criterion.model_copy(update={"bands": bands}), option.index
            )
            option_points = [band.points for band in bands]
        options.append(option)
        points.append(option_points)
    return _Fit(options, points, fit.thresholds, fit.tier_shares)


def suggest(
    rubric_text: str,
    scored: Sequence[ScoredLead],
    labels: Sequence[bool],
    *,
    file: str = "<rubric>",
    folds: int = 5,
    seed: int = 0,
    l2: float = 1.0,
    header: str = "",
    name: str | None = None,
    new_bands: bool = True,
    fields: Sequence[Mapping[str, str]] | None = None,
) -> Suggestion:
    """Fit points and thresholds (and, with `new_bands`, bands) for the rubric in
    `rubric_text` from leads scored under it.

    `scored` must come from qualifying the leads under that same rubric: the suggestion reuses
    its answers. With the leads' `fields` (in the same order), a choice criterion with many
    values (the call's date) gets choice groups proposed too.

    Returns the new rubric's YAML: the original text with only numbers and bands
    changed, and the rubric named `name` (default: the original's name + "-suggested").
    """
    rubric = parse_rubric(rubric_text, file)
    outcome = np.asarray(labels, dtype=bool)
    if len(scored) != len(outcome):
        raise ValueError(f"{len(scored)} scored leads but {len(outcome)} labels")
    if outcome.all() or not outcome.any():
        raise ValueError("the outcomes need both converted and not converted leads")
    if fields is not None and len(fields) != len(scored):
        raise ValueError(f"{len(scored)} scored leads but {len(fields)} leads' fields")
    answers = _Answers.of(rubric, scored, fields)
    tiers = np.asarray([lead.tier for lead in scored], dtype=object)
    knocked_out = tiers == DISQUALIFIED
    original_keys = ranking_keys([lead.score for lead in scored], tiers)

    def fitted(rows: np.ndarray) -> _Fit:
        return _fit(rubric, answers, rows, outcome, knocked_out, tiers, l2, new_bands)

    fold_of = stratified_folds(outcome, folds, seed)
    fold_results = []
    for fold in range(folds):
        train, test = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        fit = fitted(train)
        fold_results.append(
            FoldAUC(
                original=roc_auc(original_keys[test], outcome[test]),
                suggested=_held_out_auc(
                    answers.codes_under(fit.options, test), fit.points, tiers[test], outcome[test]
                ),
            )
        )
    everyone = np.arange(len(outcome))
    final = _merged(fitted(everyone)) if new_bands else fitted(everyone)
    new_name = name or f"{rubric.name}-suggested"
    new_text = rewrite_numbers(rubric_text, _replacements(answers.options, final, new_name), header)
    suggested = parse_rubric(new_text, file)
    final_codes = answers.codes_under(final.options, everyone)
    suggested_scores = scores_for(final_codes, final.points)
    cv = [f.suggested for f in fold_results if f.suggested is not None]
    original_cv = [f.original for f in fold_results if f.original is not None]
    return Suggestion(
        rubric=suggested,
        yaml_text=new_text,
        rows=len(outcome),
        positives=int(outcome.sum()),
        folds=fold_results,
        original_auc=roc_auc(original_keys, outcome),
        original_cv_auc=float(np.mean(original_cv)) if original_cv else None,
        suggested_cv_auc=float(np.mean(cv)) if cv else None,
        suggested_cv_auc_std=float(np.std(cv)) if cv else None,
        suggested_in_sample_auc=roc_auc(ranking_keys(suggested_scores, tiers), outcome),
        points=point_changes(answers.options, answers.codes, final.options, final_codes, final),
        bands=[
            BandChange(
                criterion=new.criterion.id,
                old=[_band_label(b.min, b.max) for b in old.criterion.bands],
                new=[_band_label(b.min, b.max) for b in new.criterion.bands],
            )
            for old, new in zip(answers.options, final.options, strict=True)
            if new.groups is None and _redrawn(old, new)
        ],
        choice_groups=[
            ChoiceGroupChange(
                criterion=new.criterion.id,
                old=list(old.keys),
                new=[f"{key}: {choice.label}" for key, choice in new.criterion.choices.items()],
            )
            for old, new in zip(answers.options, final.options, strict=True)
            if new.groups is not None
        ],
        thresholds=[
            ThresholdChange(tier=tier.id, old=tier.min_score, new=new, share=share)
            for tier, new, share in zip(
                rubric.tiers, final.thresholds, final.tier_shares, strict=True
            )
        ],
        name=NameChange(old=rubric.name, new=suggested.name),
    )


def point_changes(
    original: Sequence[AnswerOptions],
    original_codes: np.ndarray,
    options: Sequence[AnswerOptions],
    codes: np.ndarray,
    fit: _Fit,
) -> list[PointChange]:
    """Old and new points per answer of the suggestion. A new band's old points are what most
    of its leads earned under the original bands (or the original points at its lower end,
    when no lead falls in it)."""
    changes = []
    for before, after, new_points in zip(original, options, fit.points, strict=True):
        old_points = np.asarray([0, *before.points()])
        same_options = before.keys == after.keys
        for j, (key, new) in enumerate(zip(after.keys, new_points, strict=True)):
            if same_options:
                old = int(old_points[j + 1])
            else:
                old = _old_points_of_band(before, after, j, original_codes, codes, old_points)
            changes.append(PointChange(criterion=after.criterion.id, answer=key, old=old, new=new))
    return changes


def _old_points_of_band(
    before: AnswerOptions,
    after: AnswerOptions,
    band: int,
    original_codes: np.ndarray,
    codes: np.ndarray,
    old_points: np.ndarray,
) -> int:
    inside = codes[:, after.index] == band + 1
    if inside.any():
        earned = old_points[original_codes[inside, before.index]]
        values, counts = np.unique(earned, return_counts=True)
        return int(values[np.argmax(counts)])
    if after.criterion.type not in NUMERIC_TYPES:
        return 0
    edge = after.criterion.bands[band]
    at = edge.min if edge.min is not None else edge.max
    if at is None:
        return 0
    return next((b.points for b in before.criterion.bands if b.contains(at)), 0)


def _held_out_auc(
    codes: np.ndarray, points: Sequence[Sequence[int]], tiers: np.ndarray, labels: np.ndarray
) -> float | None:
    return roc_auc(ranking_keys(scores_for(codes, points), tiers), labels)


def _redrawn(before: AnswerOptions, after: AnswerOptions) -> bool:
    """Whether the suggestion's bands for this criterion span other ranges than the original's
    (or its choices are proposed groups)."""
    if after.groups is not None:
        return True
    spans = [(band.min, band.max) for band in before.criterion.bands]
    return spans != [(band.min, band.max) for band in after.criterion.bands]


def _replacements(
    original: Sequence[AnswerOptions], fit: _Fit, name: str
) -> dict[tuple, Replacement]:
    """What to rewrite: the name, thresholds, points, and whole `bands:` lists where redrawn,
    `choices:` where regrouped (otherwise only their points, so a diff shows just the
    numbers)."""
    changes: dict[tuple, Replacement] = {("name",): name}
    for before, option, new_points in zip(original, fit.options, fit.points, strict=True):
        if option.groups is not None:
            changes[("criteria", option.index, "choices")] = dict(option.criterion.choices)
            continue
        if _redrawn(before, option):
            changes[("criteria", option.index, "bands")] = list(option.criterion.bands)
            continue
        for j, value in enumerate(new_points):
            changes[option.yaml_path(j)] = value
    for t, value in enumerate(fit.thresholds):
        changes[("tiers", t, "min_score")] = value
    return changes


# --- rewriting the YAML in place ----------------------------------------------------------------


Replacement = int | str | list[Band] | dict[str, Choice]


def rewrite_numbers(text: str, replacements: dict[tuple, Replacement], header: str = "") -> str:
    """The rubric text with the nodes at the given paths replaced, everything else untouched.

    A number or a name replaces a scalar; a list of bands replaces a `bands:` sequence, written
    one `{min, max, points}` a line (or inline, when the original was inline); choices replace
    a `choices:` mapping, one `key: {label, points, hints}` a line. Comments, key
    order, flow or block style and quoting elsewhere all survive, so a manager can diff the
    suggestion against the original line by line.
    """
    spans: list[tuple[int, int, str]] = []

    def walk(node: yaml.Node, path: tuple) -> None:
        if path in replacements:
            spans.append(_replacement_span(text, node, path, replacements[path]))
            return
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                walk(value_node, (*path, key_node.value))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                walk(item, (*path, position))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    if len(spans) != len(replacements):
        raise ValueError("the rubric text does not hold every number to replace")
    for start, end, value in sorted(spans, reverse=True):
        text = text[:start] + value + text[end:]
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text
    return text


def _replacement_span(
    text: str, node: yaml.Node, path: tuple, value: Replacement
) -> tuple[int, int, str]:
    if isinstance(value, dict):
        if not isinstance(node, yaml.MappingNode) or not node.value:
            raise ValueError(f"expected choices at {path}, found a {node.id}")
        items = [f"{key}: {_choice_yaml(choice)}" for key, choice in value.items()]
        if node.flow_style:
            return node.start_mark.index, node.end_mark.index, "{" + ", ".join(items) + "}"
        indent = "\n" + " " * node.start_mark.column
        return node.start_mark.index, _block_end(node), indent.join(items)
    if isinstance(value, list):
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise ValueError(f"expected a list of bands at {path}, found a {node.id}")
        items = [band_yaml(band) for band in value]
        if node.flow_style:
            return node.start_mark.index, node.end_mark.index, "[" + ", ".join(items) + "]"
        indent = "\n" + " " * node.start_mark.column
        return node.start_mark.index, _block_end(node), indent.join(f"- {i}" for i in items)
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"expected a number at {path}, found a {node.id}")
    if isinstance(value, int) or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        rendered = str(value)
    else:
        rendered = json.dumps(value, ensure_ascii=False)
    return node.start_mark.index, node.end_mark.index, rendered


def _block_end(node: yaml.Node) -> int:
    """Where a block sequence or mapping ends: its last value's end, not its trailing lines."""
    last = node
    while isinstance(last, yaml.SequenceNode | yaml.MappingNode) and last.value:
        if last is not node and last.flow_style:
            break
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    return last.end_mark.index


def _choice_yaml(choice: Choice) -> str:
    """`{label: "…", points: 3, hints: ["…"]}`: JSON strings are YAML strings."""
    label = json.dumps(choice.label, ensure_ascii=False)
    hints = ", ".join(json.dumps(hint, ensure_ascii=False) for hint in choice.hints)
    return f"{{label: {label}, points: {choice.points}, hints: [{hints}]}}"
