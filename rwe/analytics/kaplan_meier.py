"""Kaplan-Meier curves with confidence bands as R's `survfit` (EZR: log-log 95% CI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from rwe.analytics.survival_input import (
    FloatArray,
    IntArray,
    encode_groups,
    group_positions,
    tie_near_times,
    validate_survival,
)
from rwe.analytics.survival_quantile import SurvivalQuantile, find_survival_quantile
from rwe.errors import BadInputError

ConfType = Literal["log-log", "log", "plain"]
CONF_TYPES: tuple[str, ...] = ("log-log", "log", "plain")


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One survfit curve; arrays are per distinct time (event or censoring), ascending.

    `std_err` is survfit's `std.err`: the Greenwood standard error of -log S (infinite once S
    reaches 0); `lower`/`upper` are NaN where R gives NA (log-log at S = 1 or S = 0).
    """

    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    surv: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    n: int
    conf_type: str
    conf_level: float

    @property
    def std_err_surv(self) -> FloatArray:
        """Standard error of S itself, as `summary(survfit)` prints it."""
        with np.errstate(invalid="ignore"):
            return self.surv * self.std_err


def fit_kaplan_meier(
    time: Any,
    event: Any,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    timefix: bool = True,
) -> KaplanMeierCurve:
    """Kaplan-Meier estimate as `survfit(Surv(time, event) ~ 1, conf.type = conf_type)`.

    Times closer than √ε are merged first, as survfit's `timefix` (off when the caller has
    already merged them over a larger data set). Example:
    `fit_kaplan_meier([1, 2, 3, 4], [1, 1, 0, 1]).surv` → `[0.75, 0.5, 0.5, 0]`.
    """
    t, e = validate_survival(time, event)
    if t.size == 0:
        raise BadInputError("no subjects to fit a Kaplan-Meier curve on", "Check the filters.")
    _check_conf(conf_type, conf_level)
    if timefix:
        t = tie_near_times(t)
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=times.size).astype(np.int64)
    n_exit = np.bincount(inverse, minlength=times.size).astype(np.int64)
    # At risk at t: everyone whose time is ≥ t (exits at later times, counted from the end).
    n_risk = np.cumsum(n_exit[::-1])[::-1]
    surv: FloatArray = np.cumprod(1.0 - n_event / n_risk, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: Σ d / (n (n - d)); the step where everyone dies adds +∞, as in R.
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    std_err = np.sqrt(np.cumsum(term))
    lower, upper = confidence_band(surv, std_err, conf_type, conf_level)
    return KaplanMeierCurve(
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_exit - n_event,
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
        n=int(t.size),
        conf_type=conf_type,
        conf_level=conf_level,
    )


def fit_kaplan_meier_by_group(
    time: Any,
    event: Any,
    group: Any,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
) -> dict[Any, KaplanMeierCurve]:
    """One curve per group, keyed by group label in R's factor order (`survfit(... ~ group)`).

    Near-equal times are merged over all subjects first, as survfit does before splitting.
    """
    t, e = validate_survival(time, event)
    levels, codes = encode_groups(group)
    if len(codes) != t.size:
        raise BadInputError("group must have one value per subject", "Check the columns.")
    t = tie_near_times(t)
    rows = group_positions(codes, len(levels))
    return {
        level: fit_kaplan_meier(t[idx], e[idx], conf_type, conf_level, timefix=False)
        for level, idx in zip(levels, rows, strict=True)
    }


def confidence_band(
    surv: FloatArray, std_err: FloatArray, conf_type: str, conf_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Pointwise CI of S from the SE of -log S, as survival's `survfit_confint`."""
    z = float(norm.ppf(1 - (1 - conf_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = std_err * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            s = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(s) - z * std_err), np.minimum(np.exp(np.log(s) + z * std_err), 1)
        if conf_type == "log-log":
            # R sets S = 0 and S = 1 to NA here: log(-log S) is undefined there.
            s = np.where((surv == 0) | (surv == 1), np.nan, surv)
            shift = z * std_err / np.log(s)
            loglog = np.log(-np.log(s))
            return np.exp(-np.exp(loglog - shift)), np.exp(-np.exp(loglog + shift))
    raise BadInputError(f"unknown conf_type {conf_type!r}", f"Use one of {', '.join(CONF_TYPES)}.")


def median_survival(curve: KaplanMeierCurve) -> SurvivalQuantile:
    """Median and its CI by survfit's quantile rule (None when not reached)."""
    return quantile_survival(curve, 0.5)


def quantile_survival(curve: KaplanMeierCurve, prob: float) -> SurvivalQuantile:
    """Time by which a fraction `prob` has had the event, as `quantile(survfit, prob)`.

    The CI comes from the same rule applied to the lower and upper curves.
    """
    return SurvivalQuantile(
        estimate=find_survival_quantile(curve.time, curve.surv, prob),
        lower=find_survival_quantile(curve.time, curve.lower, prob),
        upper=find_survival_quantile(curve.time, curve.upper, prob),
    )


def median_follow_up(
    time: Any, event: Any, conf_type: ConfType = "log-log", conf_level: float = 0.95
) -> SurvivalQuantile:
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event)."""
    t, e = validate_survival(time, event)
    return median_survival(fit_kaplan_meier(t, 1 - e, conf_type, conf_level))


@dataclass(frozen=True)
class RiskTable:
    """Number at risk and S(t) at requested times (`summary(fit, times, extend = TRUE)`)."""

    time: FloatArray
    n_risk: IntArray
    surv: FloatArray


def number_at_risk(curve: KaplanMeierCurve, times: Any) -> RiskTable:
    """Subjects still at risk (time ≥ t) and S(t) at each requested time t."""
    at = np.asarray(times, dtype=float)
    # Index of the first curve time ≥ t gives n_risk; the last time ≤ t gives S(t).
    first_after = np.searchsorted(curve.time, at, side="left")
    padded_risk = np.append(curve.n_risk, 0)
    last_before = np.searchsorted(curve.time, at, side="right") - 1
    padded_surv = np.append(curve.surv, 1.0)  # index -1: before the first time, S = 1
    return RiskTable(time=at, n_risk=padded_risk[first_after], surv=padded_surv[last_before])


def _check_conf(conf_type: str, conf_level: float) -> None:
    if conf_type not in CONF_TYPES:
        raise BadInputError(
            f"unknown conf_type {conf_type!r}", f"Use one of {', '.join(CONF_TYPES)}."
        )
    if not 0 < conf_level < 1:
        raise BadInputError("conf_level must be between 0 and 1", "Use e.g. 0.95.")
