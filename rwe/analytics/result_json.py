"""Plain JSON-ready dicts of analysis results (NaN and R's NA become None)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from rwe.analytics.cox_model import CoxResult
from rwe.analytics.fisher_exact import FisherResult
from rwe.analytics.kaplan_meier import KaplanMeierCurve, median_survival
from rwe.analytics.log_rank import LogRankResult
from rwe.analytics.rank_sum import RankSumResult


def group_label(value: Any) -> str:
    """A group value as R would print it: 1.0 → "1" (CSV readers turn ints into floats)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def number(value: Any) -> float | int | str | None:
    """A number for strict JSON: NaN / NA → None, ±inf → "Inf" / "-Inf" (as R prints them)."""
    if value is None:
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    x = float(value)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return x


def numbers(values: Any) -> list[float | int | str | None]:
    return [number(v) for v in np.asarray(values).tolist()]


def km_json(curves: Mapping[Any, KaplanMeierCurve]) -> dict[str, Any]:
    """Per group: the curve at every distinct time plus median and its CI."""
    out: dict[str, Any] = {}
    for label, curve in curves.items():
        median = median_survival(curve)
        out[group_label(label)] = {
            "n": curve.n,
            "time": numbers(curve.time),
            "n_risk": numbers(curve.n_risk),
            "n_event": numbers(curve.n_event),
            "n_censor": numbers(curve.n_censor),
            "surv": numbers(curve.surv),
            "std_err": numbers(curve.std_err),
            "lower": numbers(curve.lower),
            "upper": numbers(curve.upper),
            "median": number(median.estimate),
            "median_lower": number(median.lower),
            "median_upper": number(median.upper),
            "conf_type": curve.conf_type,
        }
    return out


def log_rank_json(result: LogRankResult) -> dict[str, Any]:
    return {
        "chisq": number(result.chisq),
        "df": result.df,
        "p": number(result.p),
        "rho": result.rho,
        "groups": [group_label(g) for g in result.groups],
        "n": numbers(result.n),
        "observed": numbers(result.observed),
        "expected": numbers(result.expected),
    }


def cox_json(result: CoxResult) -> dict[str, Any]:
    """`terms`: one entry per model term; `model`: the global tests."""
    terms = {
        t.term: {
            "coef": number(t.coef),
            "se": number(t.se),
            "hr": number(t.hr),
            "hr_lower": number(t.hr_lower),
            "hr_upper": number(t.hr_upper),
            "z": number(t.z),
            "p_wald": number(t.p_wald),
        }
        for t in result.terms
    }
    model = {
        "ties": result.ties,
        "n": result.n,
        "n_event": result.n_event,
        "loglik": [number(result.loglik_null), number(result.loglik)],
        "df": result.df,
        "lr": number(result.lr),
        "p_lr": number(result.p_lr),
        "wald": number(result.wald),
        "p_wald": number(result.p_wald),
        "score": number(result.score),
        "p_score": number(result.p_score),
        "iterations": result.iterations,
        "converged": result.converged,
        "references": result.references,
        "warnings": result.warnings,
    }
    return {"terms": terms, "model": model}


def rank_sum_json(result: RankSumResult) -> dict[str, Any]:
    return {
        "w": number(result.w),
        "p": number(result.p),
        "exact": result.exact,
        "method": result.method,
        "groups": [group_label(g) for g in result.groups],
        "n": [result.n_x, result.n_y],
    }


def fisher_json(result: FisherResult) -> dict[str, Any]:
    return {
        "p": number(result.p),
        "odds_ratio": number(result.odds_ratio),
        "or_lower": number(result.or_lower),
        "or_upper": number(result.or_upper),
        "rows": [group_label(r) for r in result.row_labels],
        "cols": [group_label(c) for c in result.col_labels],
        "table": result.table.tolist(),
    }
