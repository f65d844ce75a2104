"""Proportions with the exact Clopper-Pearson CI and test of R's `binom.test`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv
from scipy.stats import binom

from rwe.errors import BadInputError

RELATIVE_FUZZ = 1e-7  # binom.test's tolerance for "as likely as the observed count"


@dataclass(frozen=True)
class Proportion:
    """x/n with its exact CI and the two-sided binomial p-value against `null`."""

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    p: float
    null: float


def binomial_proportion(x: int, n: int, conf_level: float = 0.95, null: float = 0.5) -> Proportion:
    """`binom.test(x, n, p = null, conf.level = conf_level)`.

    Example: `binomial_proportion(7, 20)` → estimate 0.35, CI 0.154–0.592.
    """
    if n <= 0 or x < 0 or x > n or int(x) != x or int(n) != n:
        raise BadInputError(f"invalid count {x} of {n}", "Need whole numbers 0 ≤ x ≤ n, n > 0.")
    if not 0 < conf_level < 1 or not 0 <= null <= 1:
        raise BadInputError("conf_level and null must be probabilities", "Use e.g. 0.95, 0.5.")
    alpha = (1 - conf_level) / 2
    # Clopper-Pearson: beta quantiles; the bound is 0 (or 1) when x is 0 (or n).
    lower = 0.0 if x == 0 else float(betaincinv(x, n - x + 1, alpha))
    upper = 1.0 if x == n else float(betaincinv(x + 1, n - x, 1 - alpha))
    return Proportion(
        x=int(x),
        n=int(n),
        estimate=x / n,
        lower=lower,
        upper=upper,
        p=_two_sided_p(int(x), int(n), null),
        null=null,
    )


def _two_sided_p(x: int, n: int, p: float) -> float:
    """Sum of P(k) over counts k no more likely than x, as binom.test's two-sided p."""
    if p == 0:
        return float(x == 0)
    if p == 1:
        return float(x == n)
    d = binom.pmf(x, n, p) * (1 + RELATIVE_FUZZ)
    m = n * p
    if x == m:
        return 1.0
    if x < m:
        other = np.arange(int(np.ceil(m)), n + 1)
        y = int(np.sum(binom.pmf(other, n, p) <= d))
        return float(min(1.0, binom.cdf(x, n, p) + binom.sf(n - y, n, p)))
    other = np.arange(0, int(np.floor(m)) + 1)
    y = int(np.sum(binom.pmf(other, n, p) <= d))
    return float(min(1.0, binom.cdf(y - 1, n, p) + binom.sf(x - 1, n, p)))
