"""Federated Cox models driven by the coordinator: coxph's Newton-Raphson over pooled sums.

Stratified by site: each site returns its log-likelihood, score and information at the
broadcast coefficients; their sums are the stratified model's. Unstratified (the model EZR
fits on one data set): each site returns risk-set sums on the pooled event-time grid and the
coordinator forms the likelihood (WebDISCO, Lu et al., JAMIA 2015).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from rwe.analytics.cox_model import CoxResult, Ties, newton_raphson, summarize_fit
from rwe.analytics.survival_input import FloatArray
from rwe.errors import StatisticsError

Evaluation = tuple[float, FloatArray, FloatArray]
Evaluate = Callable[[FloatArray], Evaluation]


def fit_federated_cox(
    evaluate: Evaluate,
    terms: Sequence[str],
    ties: Ties,
    size: Callable[[], tuple[int, int]],
    conf_level: float = 0.95,
) -> CoxResult:
    """Newton-Raphson exactly as coxfit6 (see rwe.analytics.cox_model), one network round
    per likelihood evaluation; `size()` gives the pooled subjects and events once evaluated."""
    fit = newton_raphson(evaluate, list(terms))
    n, n_event = size()
    if n_event == 0:
        raise StatisticsError("no events, so no Cox model can be fitted", "Check the endpoint.")
    return summarize_fit(fit, list(terms), ties, conf_level, n, n_event, {})


def stratified_evaluation(totals: Mapping[str, float], p: int) -> Evaluation:
    """Summed per-site log-likelihood, gradient and information (labels of cox_stratified)."""
    u = np.array([totals[f"gradient|{i + 1}"] for i in range(p)])
    imat = np.array([[totals[f"information|{i + 1}|{j + 1}"] for j in range(p)] for i in range(p)])
    return totals["loglik"], u, imat


def risk_set_evaluation(
    totals: Mapping[str, float], beta: FloatArray, n_grid: int, efron: bool
) -> Evaluation:
    """Partial likelihood, score and information from pooled risk-set sums (cox_risk_sets).

    Index 0 holds the order-0 sums: s[g, 0, 0] = S0, s[g, i, 0] = S1_i, s[g, i, j] = S2_ij;
    `dd` the same over the deaths at grid time g (Efron removes k/d of them, k = 1..d).
    """
    p = beta.size
    q = p + 1
    s = np.array(
        [
            [[totals[f"s|{g + 1}|{i}|{j}"] for j in range(q)] for i in range(q)]
            for g in range(n_grid)
        ]
    )
    dd = np.array(
        [
            [[totals[f"dd|{g + 1}|{i}|{j}"] for j in range(q)] for i in range(q)]
            for g in range(n_grid)
        ]
    )
    deaths = np.rint([totals[f"dn|{g + 1}"] for g in range(n_grid)]).astype(np.int64)
    x_death_sum = np.array([totals[f"xd|{i + 1}"] for i in range(p)])
    if efron:
        group = np.repeat(np.arange(n_grid), deaths)
        k = np.arange(group.size) - np.repeat(np.cumsum(deaths) - deaths, deaths) + 1
        fraction = k / np.repeat(deaths, deaths)
        weight = np.ones(group.size)
    else:
        group = np.flatnonzero(deaths > 0)
        fraction = np.ones(group.size)
        weight = deaths[group].astype(float)
    sums = s[group] - dd[group] + fraction[:, None, None] * dd[group]
    denom = sums[:, 0, 0]
    mean = sums[:, 1:, 0] / denom[:, None]
    second = sums[:, 1:, 1:] / denom[:, None, None]
    loglik = float(x_death_sum @ beta - np.sum(weight * np.log(denom)))
    u = x_death_sum - (weight[:, None] * mean).sum(axis=0)
    imat = np.einsum("k,kij->ij", weight, second - mean[:, :, None] * mean[:, None, :])
    return loglik, u, imat
