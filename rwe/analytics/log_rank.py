"""Log-rank and Peto-Peto (G-rho) tests as R's `survdiff`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2

from rwe.analytics.survival_input import (
    FloatArray,
    IntArray,
    encode_groups,
    tie_near_times,
    validate_survival,
)
from rwe.errors import BadInputError, StatisticsError


@dataclass(frozen=True)
class LogRankResult:
    """survdiff's result; observed/expected are ρ-weighted and summed over strata, as in R."""

    groups: list[Any]
    n: IntArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    chisq: float
    df: int
    p: float
    rho: float


def log_rank_test(
    time: Any, event: Any, group: Any, strata: Any = None, rho: float = 0.0
) -> LogRankResult:
    """`survdiff(Surv(time, event) ~ group [+ strata(s)], rho = rho)`.

    rho = 0 is the log-rank test (EZR's default), rho = 1 the Peto-Peto modification of the
    Gehan-Wilcoxon test. Groups whose expected count is 0 do not count towards the degrees of
    freedom, as in R. Example: `log_rank_test(t, e, arm).p`.
    """
    t, e = validate_survival(time, event)
    levels, codes = encode_groups(group)
    if codes.size != t.size:
        raise BadInputError("group must have one value per subject", "Check the columns.")
    if len(levels) < 2:
        raise StatisticsError(
            "the log-rank test needs at least two groups", "Check the group column and filters."
        )
    stratum = np.zeros(t.size, dtype=np.int64) if strata is None else encode_groups(strata)[1]
    if stratum.size != t.size:
        raise BadInputError("strata must have one value per subject", "Check the columns.")
    t = tie_near_times(t)
    k = len(levels)
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for s in np.unique(stratum):
        rows = stratum == s
        o, ex, v = _stratum_sums(t[rows], e[rows], codes[rows], k, rho)
        observed += o
        expected += ex
        variance += v
    chisq, df = chi_square(observed, expected, variance)
    return LogRankResult(
        groups=levels,
        n=np.bincount(codes, minlength=k).astype(np.int64),
        observed=observed,
        expected=expected,
        variance=variance,
        chisq=chisq,
        df=df,
        p=float(chi2.sf(chisq, df)) if df > 0 else float("nan"),
        rho=rho,
    )


def _stratum_sums(
    t: FloatArray, e: IntArray, codes: IntArray, k: int, rho: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and their covariance within one stratum (survdiff2.c's sums)."""
    times, inverse = np.unique(t, return_inverse=True)
    cell = inverse * k + codes
    deaths_g = np.bincount(cell, weights=e, minlength=times.size * k).reshape(-1, k)
    exits_g = np.bincount(cell, minlength=times.size * k).reshape(-1, k).astype(float)
    risk_g = np.cumsum(exits_g[::-1], axis=0)[::-1]  # at risk: time ≥ t
    deaths = deaths_g.sum(axis=1)
    risk = risk_g.sum(axis=1)
    if rho != 0:
        # Weight = pooled Kaplan-Meier just before t (left-continuous), to the power rho.
        km_after = np.cumprod(1.0 - deaths / risk)
        weight = np.concatenate(([1.0], km_after[:-1])) ** rho
    else:
        weight = np.ones(times.size)
    at = deaths > 0
    w, d, n, n_g = weight[at], deaths[at], risk[at], risk_g[at]
    observed = (weight[:, None] * deaths_g).sum(axis=0)
    share = n_g / n[:, None]
    expected = ((w * d)[:, None] * share).sum(axis=0)
    # Hypergeometric covariance; no contribution when a single subject is at risk.
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    variance = np.einsum("t,tg->g", factor, share)
    covariance = np.diag(variance) - np.einsum("t,tg,th->gh", factor, share, share)
    return observed, expected, covariance


def chi_square(
    observed: FloatArray, expected: FloatArray, variance: FloatArray
) -> tuple[float, int]:
    """Quadratic form over groups with expected > 0, dropping the first (survdiff's rule)."""
    used = np.flatnonzero(expected > 0)
    df = used.size - 1
    if used.size < 2:
        return 0.0, max(df, 0)
    diff = (observed - expected)[used][1:]
    v = variance[np.ix_(used, used)][1:, 1:]
    try:
        chisq = float(np.sum(np.linalg.solve(v, diff) * diff))
    except np.linalg.LinAlgError as exc:
        raise StatisticsError(
            "the log-rank variance matrix is singular", "Merge or drop sparse groups."
        ) from exc
    return chisq, df
