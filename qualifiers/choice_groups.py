"""Choice groups for a categorical criterion with many values, proposed from past leads.

A criterion such as the call's date (month and day read together, `fields_joined`) takes
hundreds of values; no manager writes a choice for each. `rubric suggest` gives every value
that enough past leads share its own option, pools the rare and unseen ones in a catch-all,
fits the points, then merges the options earning the same points into one choice per points
value (`merge_equal_groups`): a handful of choices, each listing its values in one hint.
Choices are matched in order, so the catch-all (hint `.`) comes last.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from qualifiers.rubric import Choice

MIN_GROUP_VALUES = 25  # distinct values shared by enough leads: fewer, and choices stay as written
MIN_VALUE_LEADS = 20
MAX_GROUPS = 12  # choices a regrouped criterion ends with, at most
CATCH_ALL = "."
LISTED_IN_LABEL = 4

Members = tuple[str, ...]  # the lowercased values an option holds; () is the catch-all


def frequent_values(raw: np.ndarray, min_leads: int = MIN_VALUE_LEADS) -> list[str]:
    """The values (None: unanswered, skipped) at least `min_leads` leads gave, sorted."""
    counts = Counter(value for value in raw if value is not None)
    return sorted(value for value, count in counts.items() if count >= min_leads)


def has_many_values(raw: np.ndarray) -> bool:
    return len(frequent_values(raw)) >= MIN_GROUP_VALUES


def fine_groups(raw: np.ndarray) -> list[Members]:
    """One option per frequent value, then the catch-all for the rest."""
    return [(value,) for value in frequent_values(raw)] + [()]


def group_codes(groups: Sequence[Members], raw: np.ndarray) -> np.ndarray:
    """1-based option of each value (the catch-all for values no group lists); 0 unanswered."""
    code_of = {value: j + 1 for j, members in enumerate(groups) for value in members}
    rest = next((j + 1 for j, members in enumerate(groups) if not members), 0)
    return np.asarray(
        [0 if value is None else code_of.get(value, rest) for value in raw], dtype=np.int32
    )


def fewer_levels(points: Sequence[int], levels: int = MAX_GROUPS) -> list[int]:
    """Points snapped to at most `levels` evenly spaced values (from the lowest), so merging
    equal ones leaves a short list of choices; unchanged when they already fit."""
    low, high = min(points, default=0), max(points, default=0)
    if len(set(points)) <= levels:
        return list(points)
    step = -(-(high - low + 1) // levels)  # ceiling
    return [low + step * round((p - low) / step) for p in points]


def merge_equal_groups(
    groups: Sequence[Members], points: Sequence[int]
) -> tuple[list[Members], list[int]]:
    """Options earning the same points as one group, best first; the catch-all's group last."""
    by_points: dict[int, list[str]] = {}
    catch_all_points = None
    for members, value in zip(groups, points, strict=True):
        by_points.setdefault(value, []).extend(members)
        if not members:
            catch_all_points = value
    order = sorted(by_points, key=lambda value: (value == catch_all_points, -value))
    merged = [() if value == catch_all_points else tuple(by_points[value]) for value in order]
    return merged, order


def group_choices(groups: Sequence[Members], points: Sequence[int]) -> dict[str, Choice]:
    """The rubric's choices for merged groups: `group_1`, … with one hint listing the values."""
    choices = {}
    for j, (members, value) in enumerate(zip(groups, points, strict=True), start=1):
        if members:
            shown = ", ".join(members[:LISTED_IN_LABEL])
            more = f" and {len(members) - LISTED_IN_LABEL} more" if len(members) > 4 else ""
            label, hint = f"{shown}{more}", "^(?:" + "|".join(map(_literal, members)) + ")$"
        else:
            label, hint = "Any other value", CATCH_ALL
        choices[f"group_{j}"] = Choice(label=label, points=value, hints=[hint])
    return choices


def _literal(value: str) -> str:
    return re.escape(value).replace("\\ ", " ")
