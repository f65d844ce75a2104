"""Cox proportional hazards by Newton-Raphson exactly as survival's `coxph` (coxfit6)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from rwe.analytics.cox_likelihood import CoxRiskSets, cholesky_rank_ok, evaluate_partial_likelihood
from rwe.analytics.design_matrix import build_design_matrix
from rwe.analytics.survival_input import FloatArray, tie_near_times, validate_survival
from rwe.errors import BadInputError, StatisticsError

Ties = Literal["breslow", "efron"]

# coxph.control() defaults.
EPS = 1e-9
ITER_MAX = 20
TOLER_CHOL = float(np.finfo(float).eps ** 0.75)
TOLER_INF = float(np.sqrt(EPS))


@dataclass(frozen=True)
class CoxTerm:
    """One coefficient as `summary(coxph)` prints it."""

    term: str
    coef: float
    se: float
    hr: float
    hr_lower: float
    hr_upper: float
    z: float
    p_wald: float


@dataclass(frozen=True)
class CoxResult:
    """A fitted model: per-term rows plus the three global tests of `summary(coxph)`."""

    terms: list[CoxTerm]
    ties: str
    n: int
    n_event: int
    loglik_null: float
    loglik: float
    iterations: int
    converged: bool
    lr: float
    df: int
    p_lr: float
    wald: float
    p_wald: float
    score: float
    p_score: float
    variance: FloatArray
    references: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def fit_cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: Ties = "breslow",
    conf_level: float = 0.95,
) -> CoxResult:
    """`coxph(Surv(time, event) ~ covariates, data, ties = ties)` with R's treatment contrasts.

    Breslow is EZR's setting (R's own default is Efron). Example:
    `fit_cox(df, "time", "event", ["age", "sex"]).terms[0].hr`.
    """
    if ties not in ("breslow", "efron"):
        raise BadInputError(f"unknown ties method {ties!r}", "Use breslow or efron.")
    if not covariates:
        raise BadInputError("no covariates given", "Name at least one covariate.")
    for name in (time, event):
        if name not in data.columns:
            raise BadInputError(f"no column {name!r}", "Check the time and event names.")
    design = build_design_matrix(data, covariates)
    t, e = validate_survival(data[time].to_numpy(), data[event].to_numpy())
    return fit_cox_matrix(t, e, design.values, design.terms, ties, conf_level, design.references)


def fit_cox_matrix(
    time: Any,
    event: Any,
    x: Any,
    terms: Sequence[str],
    ties: Ties = "breslow",
    conf_level: float = 0.95,
    references: dict[str, str] | None = None,
) -> CoxResult:
    """Cox model on a numeric matrix (one column per term); see `fit_cox`."""
    t, e = validate_survival(time, event)
    matrix = np.asarray(x, dtype=float).reshape(t.size, -1)
    if matrix.shape[1] != len(terms) or matrix.shape[1] == 0:
        raise BadInputError("one term name per covariate column is needed", "Check the terms.")
    if e.sum() == 0:
        raise StatisticsError("no events, so no Cox model can be fitted", "Check the event column.")
    sets = CoxRiskSets.build(tie_near_times(t), e, matrix - matrix.mean(axis=0), ties == "efron")
    fit = newton_raphson(lambda beta: evaluate_partial_likelihood(sets, beta), list(terms))
    return summarize_fit(fit, list(terms), ties, conf_level, t.size, int(e.sum()), references or {})


@dataclass
class NewtonFit:
    beta: FloatArray
    variance: FloatArray
    u: FloatArray
    loglik_null: float
    loglik: float
    score: float
    iterations: int
    converged: bool


Evaluation = tuple[float, FloatArray, FloatArray]  # log-likelihood, score vector, information


def newton_raphson(evaluate: Callable[[FloatArray], Evaluation], terms: list[str]) -> NewtonFit:
    """coxfit6's iteration: stop when |1 - ℓ_old/ℓ_new| ≤ eps; step-halve when ℓ drops.

    `evaluate(beta)` gives the partial likelihood, score and information at beta: from the
    data here, or from sites' pooled sums in rwe.federation.
    """
    beta = np.zeros(len(terms))
    loglik0, u, imat = evaluate(beta)
    check_information_rank(imat, terms)
    step = np.linalg.solve(imat, u)
    score = float(u @ step)
    best = loglik0
    new_beta = beta + step
    halving = 0
    for iteration in range(1, ITER_MAX + 1):
        new_lk, u, imat = evaluate(new_beta)
        finite = np.isfinite(new_lk) and np.all(np.isfinite(u)) and np.all(np.isfinite(imat))
        with np.errstate(divide="ignore", invalid="ignore"):
            change = abs(1 - best / new_lk)
        if finite and change <= EPS:
            variance = invert_information(imat, terms)
            return NewtonFit(new_beta, variance, u, loglik0, new_lk, score, iteration, True)
        if not finite or new_lk < best:
            # Not improving: pull the step back towards the last good beta, harder each time.
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = new_lk
            check_information_rank(imat, terms)
            beta, new_beta = new_beta, new_beta + np.linalg.solve(imat, u)
    # Out of iterations: R reports the last good beta, with its information matrix.
    best, u, imat = evaluate(beta)
    return NewtonFit(
        beta, invert_information(imat, terms), u, loglik0, best, score, ITER_MAX, False
    )


def check_information_rank(imat: FloatArray, terms: list[str]) -> None:
    bad = cholesky_rank_ok(imat, TOLER_CHOL)
    if bad is not None:
        raise StatisticsError(
            f"covariate {terms[bad]!r} is constant or collinear with the others",
            "Drop it or merge its levels; R would report NA for it.",
        )


def invert_information(imat: FloatArray, terms: list[str]) -> FloatArray:
    check_information_rank(imat, terms)
    return np.asarray(np.linalg.inv(imat), dtype=float)


def summarize_fit(
    fit: NewtonFit,
    terms: list[str],
    ties: str,
    conf_level: float,
    n: int,
    n_event: int,
    references: dict[str, str],
) -> CoxResult:
    """Per-term Wald rows and the likelihood-ratio, Wald and score tests (df = #terms)."""
    se = np.sqrt(np.diag(fit.variance))
    z = fit.beta / se
    p_term = chi2.sf(z**2, 1)
    q = float(norm.ppf(1 - (1 - conf_level) / 2))
    with np.errstate(over="ignore"):  # an infinite coefficient has an infinite upper limit
        rows = _term_rows(terms, fit.beta, se, z, p_term, q)
    df = len(terms)
    lr = 2 * (fit.loglik - fit.loglik_null)
    wald = float(fit.beta @ np.linalg.solve(fit.variance, fit.beta))
    return CoxResult(
        terms=rows,
        ties=ties,
        n=n,
        n_event=n_event,
        loglik_null=fit.loglik_null,
        loglik=fit.loglik,
        iterations=fit.iterations,
        converged=fit.converged,
        lr=lr,
        df=df,
        p_lr=float(chi2.sf(lr, df)),
        wald=wald,
        p_wald=float(chi2.sf(wald, df)),
        score=fit.score,
        p_score=float(chi2.sf(fit.score, df)),
        variance=fit.variance,
        references=references,
        warnings=_warnings(fit, terms),
    )


def _term_rows(
    terms: list[str], beta: FloatArray, se: FloatArray, z: FloatArray, p: FloatArray, q: float
) -> list[CoxTerm]:
    """summary(coxph)'s coefficient rows: HR = exp(coef), CI exp(coef ± q·se)."""
    return [
        CoxTerm(
            term=name,
            coef=float(b),
            se=float(s),
            hr=float(np.exp(b)),
            hr_lower=float(np.exp(b - q * s)),
            hr_upper=float(np.exp(b + q * s)),
            z=float(zz),
            p_wald=float(pp),
        )
        for name, b, s, zz, pp in zip(terms, beta, se, z, p, strict=True)
    ]


def _warnings(fit: NewtonFit, terms: list[str]) -> list[str]:
    """coxph's convergence warnings, worded as R words them."""
    if not fit.converged:
        return ["Ran out of iterations and did not converge"]
    infs = np.abs(fit.u @ fit.variance)
    flagged = (~np.isfinite(fit.u)) | ((infs > EPS) & (infs > TOLER_INF * np.abs(fit.beta)))
    return [
        f"Loglik converged before variable {terms[i]}; coefficient may be infinite"
        for i in np.flatnonzero(flagged)
    ]
