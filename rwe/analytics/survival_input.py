"""Validated right-censored survival input: times, events, groups, as R's `Surv()` sees them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from rwe.errors import BadInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# survival's aeqSurv() tolerance: times closer than this are one time (`timefix = TRUE`).
TIME_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def validate_survival(time: Any, event: Any) -> tuple[FloatArray, IntArray]:
    """Check and convert time (≥ 0, finite) and event (1 = event, 0 = censored) arrays.

    Raises BadInputError naming the problem; missing values must be dropped before (see
    `rwe.analytics.table_input.complete_rows`).
    """
    t = np.asarray(time, dtype=float)
    e_raw = np.asarray(event)
    if t.ndim != 1 or e_raw.shape != t.shape:
        raise BadInputError(
            "time and event must be one-dimensional and of equal length",
            "Pass one time and one event value per subject.",
        )
    if not np.all(np.isfinite(t)):
        raise BadInputError(
            "time has missing or infinite values", "Drop those rows or fill the times."
        )
    if np.any(t < 0):
        raise BadInputError("time has negative values", "Times are durations from the index date.")
    try:
        e = e_raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise BadInputError(
            "event is not numeric", "Code the event column 1 = event, 0 = censored."
        ) from exc
    if not np.all(np.isin(e, (0.0, 1.0))):
        raise BadInputError(
            "event has values other than 0 and 1", "Code the event column 1 = event, 0 = censored."
        )
    return t, e.astype(np.int64)


def tie_near_times(time: FloatArray, tolerance: float = TIME_TOLERANCE) -> FloatArray:
    """Merge times that differ only by floating-point noise, as survival's `aeqSurv()`.

    R's survfit, survdiff and coxph call aeqSurv (`timefix = TRUE`) so that e.g. 0.1 + 0.2 and
    0.3 are one tied time; each run of near-equal times becomes its smallest member.
    """
    distinct = np.unique(time[np.isfinite(time)])
    if distinct.size < 2:
        return time
    gaps = np.diff(distinct)
    tied = (gaps <= tolerance) | (gaps / np.mean(np.abs(distinct)) <= tolerance)
    if not tied.any():
        return time
    cuts = distinct[np.concatenate(([True], ~tied))]
    # findInterval(): the last cut at or below each time.
    return cuts[np.searchsorted(cuts, time, side="right") - 1]


def encode_groups(group: Any) -> tuple[list[Any], IntArray]:
    """Group labels in R's factor order and each subject's 0-based group index.

    A pandas Categorical keeps its category order (unused categories dropped, as R's
    `strata()`); other values are sorted, as R's `factor()` sorts them.
    """
    import pandas as pd

    series = pd.Series(group)
    if series.isna().any():
        raise BadInputError("group has missing values", "Drop those rows first.")
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.cat.remove_unused_categories()
        levels: list[Any] = list(series.cat.categories)
        codes = series.cat.codes.to_numpy().astype(np.int64)
        return levels, codes
    values = series.to_numpy()
    try:
        levels_arr, codes_arr = np.unique(values, return_inverse=True)
    except TypeError as exc:
        raise BadInputError(
            "group mixes values of different types", "Make the group column one type."
        ) from exc
    return [_plain(v) for v in levels_arr], codes_arr.astype(np.int64).ravel()


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars, so labels print and serialize plainly."""
    return value.item() if isinstance(value, np.generic) else value


def group_positions(codes: IntArray, n_groups: int) -> Sequence[IntArray]:
    """Row indices of each group, in group order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n_groups)]
