"""Cox models against R's coxph (Breslow as EZR, and Efron)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from rwe.analytics import fit_cox
from rwe.errors import BadInputError, StatisticsError
from tests.analytics.r_fixtures import RTOL, assert_close, case_data, case_ids, cases

TERM_FIELDS = ("coef", "se", "hr", "hr_lower", "hr_upper", "z", "p_wald")


def _fit(case: dict[str, Any]) -> Any:
    covariates = list(case["covariates"])
    data = case_data(case, [case["time"], case["event"], *covariates])
    return fit_cox(data, case["time"], case["event"], covariates, ties=case["ties"])


@pytest.mark.parametrize("case", cases("cox"), ids=case_ids("cox"))
def test_terms_equal_coxph(case: dict[str, Any]) -> None:
    fit = _fit(case)
    assert [t.term for t in fit.terms] == case["terms"]
    for name in TERM_FIELDS:
        assert_close([getattr(t, name) for t in fit.terms], case[name], name)


@pytest.mark.parametrize("case", cases("cox"), ids=case_ids("cox"))
def test_model_tests_equal_summary_coxph(case: dict[str, Any]) -> None:
    fit = _fit(case)
    assert (fit.n, fit.n_event, fit.df) == (case["n"], case["n_event"], case["df"])
    assert fit.iterations == case["iter"], "same Newton-Raphson path as coxfit6"
    assert_close([fit.loglik_null, fit.loglik], case["loglik"], "loglik")
    for ours, theirs in (
        (fit.lr, "lr"),
        (fit.p_lr, "p_lr"),
        (fit.wald, "wald"),
        (fit.p_wald, "p_wald_model"),
        (fit.score, "score"),
        (fit.p_score, "p_score"),
    ):
        assert ours == pytest.approx(case[theirs], rel=RTOL), theirs


def test_lung_age_sex_ecog_values_the_report_prints() -> None:
    """R: coxph(Surv(time, status) ~ age + sex + ph.ecog, lung, ties = "breslow")."""
    case = next(c for c in cases("cox") if c["name"] == "lung_multi_breslow")
    sex = _fit(case).terms[1]
    assert sex.term == "sex"
    assert round(sex.hr, 3) == 0.576
    assert (round(sex.hr_lower, 3), round(sex.hr_upper, 3)) == (0.415, 0.800)
    assert round(sex.p_wald, 4) == 0.001


def test_text_covariate_gets_treatment_contrasts_first_level_reference() -> None:
    data = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 5, 6, 7, 8],
            "event": [1, 1, 0, 1, 1, 1, 0, 1],
            "arm": ["b", "a", "c", "a", "b", "c", "a", "c"],
        }
    )
    fit = fit_cox(data, "time", "event", ["arm"])
    assert [t.term for t in fit.terms] == ["armb", "armc"]
    assert fit.references == {"arm": "a"}


def test_categorical_order_is_kept() -> None:
    arm = pd.Categorical(["b", "a", "b", "a", "b", "a"], categories=["b", "a"])
    data = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": [1, 1, 1, 0, 1, 1], "arm": arm})
    assert [t.term for t in fit_cox(data, "time", "event", ["arm"]).terms] == ["arma"]


def test_constant_covariate_is_reported_not_fitted() -> None:
    data = pd.DataFrame({"time": [1, 2, 3, 4], "event": [1, 1, 0, 1], "x": [2.0] * 4})
    with pytest.raises(StatisticsError) as info:
        fit_cox(data, "time", "event", ["x"])
    assert info.value.what == "covariate 'x' is constant or collinear with the others"


def test_no_events_is_an_error() -> None:
    data = pd.DataFrame({"time": [1, 2, 3], "event": [0, 0, 0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(StatisticsError):
        fit_cox(data, "time", "event", ["x"])


def test_unknown_ties_method_is_rejected() -> None:
    data = pd.DataFrame({"time": [1, 2], "event": [1, 1], "x": [1.0, 2.0]})
    with pytest.raises(BadInputError):
        fit_cox(data, "time", "event", ["x"], ties="exact")  # type: ignore[arg-type]


def test_separation_warns_like_coxph() -> None:
    # Every subject with x = 1 dies before every subject with x = 0: the MLE is infinite.
    data = pd.DataFrame({"time": np.arange(1, 9), "event": [1] * 8, "x": [1, 1, 1, 1, 0, 0, 0, 0]})
    fit = fit_cox(data, "time", "event", ["x"])
    assert fit.warnings and "coefficient may be infinite" in fit.warnings[0]
