"""Wilcoxon rank-sum (Mann-Whitney) test as R's `wilcox.test(x, y)`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from rwe.analytics.survival_input import encode_groups
from rwe.errors import BadInputError, StatisticsError

# wilcox.test uses the exact null distribution only when both samples are this small.
EXACT_LIMIT = 50


@dataclass(frozen=True)
class RankSumResult:
    """W (= U of the first sample), two-sided p and the method R names."""

    w: float
    p: float
    exact: bool
    method: str
    n_x: int
    n_y: int
    groups: list[Any] = field(default_factory=list)  # [x's group, y's group] when by group


def wilcoxon_rank_sum(x: Any, y: Any, correct: bool = True) -> RankSumResult:
    """Two-sided `wilcox.test(x, y)`: exact when both n < 50 and no ties, else normal.

    The normal approximation uses the tie-corrected variance and, by default, the continuity
    correction, as R. Example: `wilcoxon_rank_sum([1.8, 0.5, 1.6], [0.9, 0.6]).p`.
    """
    a = _sample(x, "x")
    b = _sample(y, "y")
    ranks = rankdata(np.concatenate((a, b)))  # average ranks for ties, as R's rank()
    n_x, n_y = a.size, b.size
    w = float(ranks[:n_x].sum() - n_x * (n_x + 1) / 2)
    ties = np.unique(ranks).size != ranks.size
    if n_x < EXACT_LIMIT and n_y < EXACT_LIMIT and not ties:
        p = _exact_two_sided(round(w), n_x, n_y)
        return RankSumResult(w, p, True, "Wilcoxon rank sum exact test", n_x, n_y)
    _, tie_counts = np.unique(ranks, return_counts=True)
    n = n_x + n_y
    sigma = np.sqrt(
        (n_x * n_y / 12)
        * ((n + 1) - np.sum(tie_counts.astype(float) ** 3 - tie_counts) / (n * (n - 1)))
    )
    if sigma == 0:
        raise StatisticsError("all values are equal", "There is nothing to compare.")
    z = w - n_x * n_y / 2
    z = (z - (np.sign(z) * 0.5 if correct else 0.0)) / sigma
    p = float(2 * min(norm.cdf(z), norm.sf(z)))
    method = "Wilcoxon rank sum test" + (" with continuity correction" if correct else "")
    return RankSumResult(w, p, False, method, n_x, n_y)


def wilcoxon_rank_sum_by_group(
    data: pd.DataFrame, value: str, group: str, correct: bool = True
) -> RankSumResult:
    """`wilcox.test(value ~ group, data)`: the first group level (R's factor order) is x."""
    for name in (value, group):
        if name not in data.columns:
            raise BadInputError(f"no column {name!r}", "Check the column names.")
    rows = data.dropna(subset=[value, group])
    levels, codes = encode_groups(rows[group])
    if len(levels) != 2:
        raise StatisticsError(
            f"the rank-sum test compares two groups; {group!r} has {len(levels)}",
            "Filter the data to two groups.",
        )
    values = pd.to_numeric(rows[value], errors="coerce").to_numpy(dtype=float)
    result = wilcoxon_rank_sum(values[codes == 0], values[codes == 1], correct)
    return replace(result, groups=levels)


def _sample(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]  # wilcox.test drops NA
    if arr.size == 0:
        raise BadInputError(f"sample {name} has no values", "Each group needs at least one value.")
    if not np.all(np.isfinite(arr)):
        raise BadInputError(f"sample {name} has infinite values", "Remove them.")
    return arr


def _exact_two_sided(w: int, n_x: int, n_y: int) -> float:
    """2 × the smaller tail of the exact null distribution of W (R's pwilcox), capped at 1."""
    counts = _rank_sum_counts(n_x, n_y)
    total = sum(counts)
    # The smaller tail: P(W ≥ w) above the centre, P(W ≤ w) at or below it.
    tail = sum(counts[w:]) if w > n_x * n_y / 2 else sum(counts[: w + 1])
    return float(min(Fraction(2 * tail, total), Fraction(1)))


def _rank_sum_counts(m: int, n: int) -> list[int]:
    """Number of arrangements giving each W = 0..mn: the coefficients of the Gaussian binomial
    [m+n choose m]_q, built as Π (1 - q^(n+i)) / (1 - q^i) in exact integers."""
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        for k in range(size - 1, n + i - 1, -1):  # multiply by (1 - q^(n+i))
            poly[k] -= poly[k - n - i]
        for k in range(i, size):  # divide by (1 - q^i)
            poly[k] += poly[k - i]
    return poly
