"""Fisher's exact test as R's `fisher.test` (two-sided), for 2×2 and r×c tables."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from rwe.analytics.brent_root import EPSILON, uniroot
from rwe.analytics.survival_input import FloatArray, IntArray
from rwe.errors import BadInputError, StatisticsError

# fisher.test's 2×2 fuzz: tables within this relative distance of P(observed) count as "as
# extreme"; FEXACT (r×c) uses the same idea in log space with its own constant.
RELATIVE_FUZZ = 1e-7
FEXACT_TOLERANCE = 3.45254e-7
MAX_TABLES = 20_000_000


@dataclass(frozen=True)
class FisherResult:
    """p-value; for 2×2 tables also the conditional MLE odds ratio and its exact CI."""

    p: float
    table: IntArray
    odds_ratio: float | None = None
    or_lower: float | None = None
    or_upper: float | None = None
    row_labels: list[Any] = field(default_factory=list)
    col_labels: list[Any] = field(default_factory=list)


def fisher_exact_test(table: Any, conf_level: float = 0.95) -> FisherResult:
    """Two-sided `fisher.test(table)`; r×c tables by full enumeration of the reference set.

    Example: `fisher_exact_test([[3, 1], [1, 3]]).p` → 0.4857.
    """
    counts = _as_counts(table)
    if counts.shape == (2, 2):
        return _two_by_two(counts, conf_level)
    return FisherResult(p=_r_by_c_p(counts), table=counts)


def fisher_exact_from_columns(
    data: pd.DataFrame, row: str, col: str, conf_level: float = 0.95
) -> FisherResult:
    """`fisher.test(data[[row]], data[[col]])`: cross-tabulate two columns, then test."""
    for name in (row, col):
        if name not in data.columns:
            raise BadInputError(f"no column {name!r}", "Check the column names.")
    crossed = pd.crosstab(data[row], data[col])  # levels sorted, as R's table()
    result = fisher_exact_test(crossed.to_numpy(), conf_level)
    return replace(result, row_labels=list(crossed.index), col_labels=list(crossed.columns))


def _as_counts(table: Any) -> IntArray:
    arr = np.asarray(table)
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise StatisticsError(
            "Fisher's test needs at least 2 rows and 2 columns",
            "Each variable needs at least two observed values.",
        )
    if not np.issubdtype(arr.dtype, np.number) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise BadInputError("table cells must be non-negative integers", "Pass counts.")
    return arr.astype(np.int64)


def _two_by_two(x: IntArray, conf_level: float) -> FisherResult:
    """The noncentral hypergeometric machinery of fisher.test for 2×2 tables."""
    hyper = _NoncentralHypergeometric(x)
    d = hyper.density(1.0)
    observed = d[hyper.x - hyper.lo]
    p = float(np.sum(d[d <= observed * (1 + RELATIVE_FUZZ)]))
    alpha = (1 - conf_level) / 2
    return FisherResult(
        p=min(p, 1.0),
        table=x,
        odds_ratio=hyper.mle(),
        or_lower=hyper.lower_limit(alpha),
        or_upper=hyper.upper_limit(alpha),
    )


class _NoncentralHypergeometric:
    """Distribution of the top-left cell given the margins, as in fisher.test's source."""

    def __init__(self, x: IntArray) -> None:
        self.m = int(x[:, 0].sum())
        self.n = int(x[:, 1].sum())
        self.k = int(x[0, :].sum())
        self.x = int(x[0, 0])
        self.lo = max(0, self.k - self.n)
        self.hi = min(self.k, self.m)
        self.support = np.arange(self.lo, self.hi + 1, dtype=float)
        s = self.support
        self.log_central = (
            _log_choose(self.m, s)
            + _log_choose(self.n, self.k - s)
            - _log_choose(self.m + self.n, self.k)
        )

    def density(self, ncp: float) -> FloatArray:
        d = self.log_central + np.log(ncp) * self.support
        d = np.exp(d - d.max())
        return np.asarray(d / d.sum(), dtype=float)

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if np.isinf(ncp):
            return float(self.hi)
        return float(np.sum(self.support * self.density(ncp)))

    def tail(self, ncp: float, upper: bool) -> float:
        """P(X ≤ x) or, with upper, P(X ≥ x) under odds ratio ncp."""
        if ncp == 0:
            return float(self.x <= self.lo if upper else self.x >= self.lo)
        if np.isinf(ncp):
            return float(self.x <= self.hi if upper else self.x >= self.hi)
        d = self.density(ncp)
        mask = self.support >= self.x if upper else self.support <= self.x
        return float(np.sum(d[mask]))

    def mle(self) -> float:
        """Conditional MLE: the odds ratio whose mean equals the observed cell."""
        if self.x == self.lo:
            return 0.0
        if self.x == self.hi:
            return float("inf")
        mu = self.mean(1.0)
        if mu > self.x:
            return uniroot(lambda t: self.mean(t) - self.x, 0.0, 1.0)
        if mu < self.x:
            return 1.0 / uniroot(lambda t: self.mean(1.0 / t) - self.x, EPSILON, 1.0)
        return 1.0

    def upper_limit(self, alpha: float) -> float:
        if self.x == self.hi:
            return float("inf")
        return self._limit(alpha, upper_tail=False)

    def lower_limit(self, alpha: float) -> float:
        if self.x == self.lo:
            return 0.0
        return self._limit(alpha, upper_tail=True)

    def _limit(self, alpha: float, upper_tail: bool) -> float:
        """fisher.test's ncp.L / ncp.U: search (0, 1) for the odds ratio, or 1/t above 1."""
        p = self.tail(1.0, upper_tail)
        below = p > alpha if upper_tail else p < alpha
        above = p < alpha if upper_tail else p > alpha
        if below:
            return uniroot(lambda t: self.tail(t, upper_tail) - alpha, 0.0, 1.0)
        if above:
            return 1.0 / uniroot(lambda t: self.tail(1.0 / t, upper_tail) - alpha, EPSILON, 1.0)
        return 1.0


def _log_choose(n: float, k: Any) -> FloatArray:
    kk = np.asarray(k, dtype=float)
    return np.asarray(gammaln(n + 1) - gammaln(kk + 1) - gammaln(n - kk + 1), dtype=float)


def _r_by_c_p(x: IntArray) -> float:
    """Σ P(table) over all tables with the observed margins and P ≤ P(observed), as FEXACT.

    Tables are enumerated column by column, vectorized over partial tables; FEXACT's network
    algorithm is faster on large tables, but the tables this platform reports are small.
    """
    rows = x.sum(axis=1)
    cols = x.sum(axis=0)
    n = int(x.sum())
    lf = gammaln(np.arange(n + 2) + 1.0)  # log k!
    constant = lf[rows].sum() + lf[cols].sum() - lf[n]
    observed = -lf[x].sum()
    remaining = rows[None, :].astype(np.int64)  # row totals still to fill, per partial table
    weight = np.zeros(1)  # Σ -log(cell!) so far, per partial table
    for j in range(len(cols) - 1):
        remaining, weight = _add_column(remaining, weight, int(cols[j]), lf)
    weight = weight - lf[remaining].sum(axis=1)  # the last column is forced
    keep = weight <= observed + FEXACT_TOLERANCE
    return float(min(1.0, np.exp(weight[keep] + constant).sum()))


def _add_column(
    remaining: IntArray, weight: FloatArray, total: int, lf: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Every way to fill one column summing to `total` under each partial table."""
    n_rows = remaining.shape[1]
    left = np.full(remaining.shape[0], total, dtype=np.int64)
    for i in range(n_rows - 1):
        # Row i gets v with max(0, left - room below) ≤ v ≤ min(remaining_i, left).
        room_below = remaining[:, i + 1 :].sum(axis=1)
        low = np.maximum(0, left - room_below)
        high = np.minimum(remaining[:, i], left)
        sizes = np.maximum(high - low + 1, 0)
        if sizes.sum() > MAX_TABLES:
            raise StatisticsError(
                "the table is too large for exact enumeration",
                "Merge sparse categories, or compare fewer categories.",
            )
        parent = np.repeat(np.arange(sizes.size), sizes)
        v = low[parent] + (np.arange(parent.size) - np.repeat(np.cumsum(sizes) - sizes, sizes))
        remaining = remaining[parent].copy()
        remaining[:, i] -= v
        weight = weight[parent] - lf[v]
        left = left[parent] - v
    remaining[:, -1] -= left  # the last row takes what is left of the column
    weight = weight - lf[left]
    return remaining, weight
