"""Bands for a numeric criterion, proposed from the values past leads gave.

A hand-written rubric's bands are a guess at where a number starts to matter. `rubric suggest`
proposes finer ones: the original band edges plus the values that cut the answered leads into
about equal groups, rounded to two significant digits so a manager can read them, each band
holding enough leads to be measured. After the points are fitted, neighbouring bands that earn
the same points are merged again (`merge_equal_bands`), so the rubric stays short.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from qualifiers.models import AnswerValue
from qualifiers.rubric import Band, Criterion
from qualifiers.scoring import normalise_number

MAX_BANDS = 8
MIN_BAND_SHARE = 0.02  # of the answered leads
MIN_BAND_LEADS = 30


def whole_numbers(criterion: Criterion, values: Sequence[AnswerValue | None]) -> np.ndarray:
    """The whole number each answer is banded by (`scoring.points_for`); NaN when unanswered."""
    wholes = np.full(len(values), np.nan)
    for row, value in enumerate(values):
        if isinstance(value, int | float) and not isinstance(value, bool):
            wholes[row] = normalise_number(criterion, value)
    return wholes


def band_codes(bands: Sequence[Band], wholes: np.ndarray) -> np.ndarray:
    """1-based index of the first band holding each number; 0 when none does or unanswered."""
    codes = np.zeros(len(wholes), dtype=np.int32)
    answered = ~np.isnan(wholes)
    for j in range(len(bands) - 1, -1, -1):  # backwards, so the first matching band wins
        band = bands[j]
        inside = answered.copy()
        if band.min is not None:
            inside &= wholes >= band.min
        if band.max is not None:
            inside &= wholes <= band.max
        codes[inside] = j + 1
    return codes


def readable(edge: float) -> int:
    """An edge rounded to two significant digits (448 -> 450, 1234 -> 1200); small ones stay."""
    edge = int(edge)
    if abs(edge) < 100:
        return edge
    digits = len(str(abs(edge))) - 2
    return int(round(edge, -digits))


def propose_bands(
    original: Sequence[Band],
    wholes: np.ndarray,
    *,
    max_bands: int = MAX_BANDS,
    min_share: float = MIN_BAND_SHARE,
    min_leads: int = MIN_BAND_LEADS,
) -> list[Band]:
    """Contiguous bands (open at both ends) from the original edges, then the values' quantiles.

    Every band holds at least `min_leads` and `min_share` of the answered leads; with too few
    answered leads to split, the original bands come back unchanged. Points are 0: the fit
    fills them in.
    """
    answered = np.sort(wholes[~np.isnan(wholes)])
    least = max(min_leads, int(np.ceil(min_share * len(answered))))
    if len(answered) < 2 * least:
        return list(original)
    own = {band.min for band in original if band.min is not None}
    own |= {band.max + 1 for band in original if band.max is not None}
    cuts = np.quantile(answered, np.linspace(0, 1, max_bands + 1)[1:-1], method="higher")
    edges: list[int] = []
    for candidates in (own, {readable(cut) for cut in cuts}):  # the manager's edges first
        for edge in sorted(candidates):
            if _room_for(edge, edges, answered, least):
                edges = sorted([*edges, edge])
    if not edges:
        return list(original)
    bands = [Band(max=edges[0] - 1, points=0)]
    bands += [Band(min=low, max=high - 1, points=0) for low, high in pairwise(edges)]
    bands.append(Band(min=edges[-1], points=0))
    return bands


def _room_for(edge: int, edges: list[int], answered: np.ndarray, least: int) -> bool:
    """Whether a band starting at `edge` leaves `least` leads on both sides of it."""
    below = [e for e in edges if e < edge]
    above = [e for e in edges if e > edge]
    if edge in edges:
        return False
    start = np.searchsorted(answered, below[-1]) if below else 0
    end = np.searchsorted(answered, above[0]) if above else len(answered)
    cut = np.searchsorted(answered, edge)
    return cut - start >= least and end - cut >= least


def merge_equal_bands(bands: Sequence[Band], points: Sequence[int]) -> list[Band]:
    """The bands with their points, neighbours earning the same points merged into one."""
    merged: list[Band] = []
    for band, value in zip(bands, points, strict=True):
        if merged and merged[-1].points == value and _adjacent(merged[-1], band):
            merged[-1] = Band(min=merged[-1].min, max=band.max, points=value)
        else:
            merged.append(Band(min=band.min, max=band.max, points=value))
    return merged


def _adjacent(low: Band, high: Band) -> bool:
    return low.max is not None and high.min is not None and high.min == low.max + 1


def band_yaml(band: Band) -> str:
    """`{min: 5, max: 9, points: 3}`, as the example rubrics write a band."""
    parts = [f"min: {band.min}"] if band.min is not None else []
    parts += [f"max: {band.max}"] if band.max is not None else []
    return "{" + ", ".join([*parts, f"points: {band.points}"]) + "}"
