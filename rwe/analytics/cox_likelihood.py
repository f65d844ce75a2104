"""Cox partial log-likelihood, score and information over sorted risk sets (Breslow / Efron)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rwe.analytics.survival_input import FloatArray, IntArray


@dataclass(frozen=True)
class CoxRiskSets:
    """Subjects sorted by time, grouped by distinct time; built once per model fit."""

    x: FloatArray  # n × p, sorted by time, centered (centering does not change the fit)
    event: FloatArray  # sorted, 0/1
    starts: IntArray  # first row of each distinct time
    event_groups: IntArray  # distinct times with ≥ 1 event
    deaths: FloatArray  # events at each of those times
    x_death_sum: FloatArray  # Σ x over all events: the part of the score that is constant
    efron_group: IntArray  # Efron: one entry per event, pointing into event_groups
    efron_fraction: FloatArray  # Efron: k/d for k = 1..d within each tied set
    term_weight: FloatArray  # weight of each term: d (Breslow) or 1 (Efron)

    @classmethod
    def build(cls, time: FloatArray, event: IntArray, x: FloatArray, efron: bool) -> CoxRiskSets:
        """Sort once; with Breslow ties the Efron arrays are one entry per event time."""
        order = np.argsort(time, kind="stable")
        t, e, xs = time[order], event[order].astype(float), x[order]
        starts = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
        deaths_all = np.add.reduceat(e, starts)
        event_groups = np.flatnonzero(deaths_all > 0)
        deaths = deaths_all[event_groups]
        if efron:
            counts = deaths.astype(np.int64)
            group = np.repeat(np.arange(event_groups.size), counts)
            # Position k = 1..d inside each tied set of d deaths.
            k = np.arange(group.size) - np.repeat(np.cumsum(counts) - counts, counts) + 1
            fraction = k / np.repeat(deaths, counts)
            weight = np.ones(group.size)
        else:
            group = np.arange(event_groups.size)
            fraction = np.ones(event_groups.size)
            weight = deaths
        return cls(
            x=xs,
            event=e,
            starts=starts,
            event_groups=event_groups,
            deaths=deaths,
            x_death_sum=xs[e == 1].sum(axis=0),
            efron_group=group,
            efron_fraction=fraction,
            term_weight=weight,
        )


def evaluate_partial_likelihood(
    sets: CoxRiskSets, beta: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Log partial likelihood, score vector and information matrix at beta (coxfit6_iter).

    Risk-set sums are reverse cumulative sums over distinct times, so the cost is O(n p²)
    with no loop over subjects. With Efron's method a set of d tied deaths contributes d
    terms whose denominators hold the deaths' share k/d, k = 1..d (as coxfit6 orders them);
    Breslow is the case of one term with weight d.
    """
    x = sets.x
    risk = np.exp(x @ beta)
    rx = risk[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    dead = sets.event
    # Sums per distinct time, then over the risk set (every later time) by reverse cumsum.
    s0, s1, s2 = (_risk_set_sum(np.add.reduceat(a, sets.starts)) for a in (risk, rx, rxx))
    d0, d1, d2 = (
        np.add.reduceat(a, sets.starts)
        for a in (risk * dead, rx * dead[:, None], rxx * dead[:, None, None])
    )
    g = sets.event_groups
    s0, s1, s2, d0, d1, d2 = s0[g], s1[g], s2[g], d0[g], d1[g], d2[g]
    idx, frac, weight = sets.efron_group, sets.efron_fraction, sets.term_weight
    denom = s0[idx] - d0[idx] + frac * d0[idx]
    mean = (s1[idx] - d1[idx] + frac[:, None] * d1[idx]) / denom[:, None]
    second = (s2[idx] - d2[idx] + frac[:, None, None] * d2[idx]) / denom[:, None, None]
    loglik = float(sets.x_death_sum @ beta - np.sum(weight * np.log(denom)))
    u = sets.x_death_sum - (weight[:, None] * mean).sum(axis=0)
    imat = np.einsum("k,kij->ij", weight, second - mean[:, :, None] * mean[:, None, :])
    return loglik, u, imat


def _risk_set_sum(per_time: FloatArray) -> FloatArray:
    """Sum over all distinct times ≥ each time (the risk set), along axis 0."""
    return np.cumsum(per_time[::-1], axis=0)[::-1]


def cholesky_rank_ok(matrix: FloatArray, tolerance: float) -> int | None:
    """Index of the first pivot that survival's cholesky2 would call singular, else None.

    cholesky2 treats a pivot below tolerance × the largest diagonal element as zero (and
    coxph then reports NA for that term); we report it instead of fitting around it.
    """
    a = np.array(matrix, dtype=float)
    p = a.shape[0]
    limit = tolerance * (np.max(np.abs(np.diag(a))) if p else 0.0)
    if limit == 0:
        limit = tolerance
    for i in range(p):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < limit:
            return i
        # Eliminate row/column i from the trailing block (LDLᵀ update).
        col = a[i + 1 :, i] / pivot
        a[i + 1 :, i + 1 :] -= np.outer(col, a[i, i + 1 :])
    return None
