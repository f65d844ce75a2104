"""Quantiles (e.g. the median) of a survival curve by the rule of survival's `quantile.survfit`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rwe.analytics.survival_input import FloatArray

# quantile.survfit's default tolerance: sqrt(.Machine$double.eps).
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class SurvivalQuantile:
    """A survival-time quantile and its CI; None when not reached (R's NA)."""

    estimate: float | None
    lower: float | None
    upper: float | None


def find_survival_quantile(
    time: FloatArray, surv: FloatArray, prob: float, tolerance: float = QUANTILE_TOLERANCE
) -> float | None:
    """First time the curve has fallen by `prob` (S ≤ 1 - prob within `tolerance`), or None.

    Port of survival's internal `findq` (survival 3.5): when the curve sits exactly at
    1 - prob over an interval, the answer is the midpoint of that interval (of the first such
    time and the last time, if the curve ends there). NaN points of a confidence curve are
    skipped as R's `approx()` skips NA.
    """
    x = np.concatenate(([0.0], np.asarray(time, dtype=float)))
    y = np.concatenate(([0.0], 1.0 - np.asarray(surv, dtype=float)))
    finite = ~np.isnan(y)
    if not finite.any() or np.max(y[finite]) < prob:
        return None
    x_max = x[-1]
    x, y = _first_of_each_value(x, y)
    lo = _first_index_at_or_above(y + tolerance, prob)
    hi = _first_index_at_or_above(y - tolerance, prob)
    estimate = None if lo is None or hi is None else float((x[lo] + x[hi]) / 2)
    if prob == 0:
        estimate = float(x[0])
    if not np.isnan(y[-1]) and abs(prob - y[-1]) < tolerance:
        # The curve ends exactly at the target level: midpoint with the last time.
        estimate = None if lo is None else float((x[lo] + x_max) / 2)
    return estimate


def _first_of_each_value(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Drop repeated y values (R's `duplicated()`: NaN repeats too), keeping the first."""
    key = np.where(np.isnan(y), np.inf, y)  # all NaNs compare as one value
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    return x[keep], y[keep]


def _first_index_at_or_above(knots: FloatArray, target: float) -> int | None:
    """`approx(knots, seq_along(knots), target, method = "constant", f = 1)`.

    Returns the (original) index of the smallest knot ≥ target, None outside the knots' range
    (rule = 1); NaN knots are ignored.
    """
    valid = np.flatnonzero(~np.isnan(knots))
    if valid.size == 0:
        return None
    order = valid[np.argsort(knots[valid], kind="stable")]
    sorted_knots = knots[order]
    if target < sorted_knots[0] or target > sorted_knots[-1]:
        return None
    return int(order[np.searchsorted(sorted_knots, target, side="left")])
