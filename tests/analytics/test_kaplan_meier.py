"""Kaplan-Meier curves, CIs, medians, numbers at risk against R's survfit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rwe.analytics import (
    KaplanMeierCurve,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    median_follow_up,
    median_survival,
    number_at_risk,
)
from rwe.errors import BadInputError
from tests.analytics.r_fixtures import (
    assert_close,
    assert_optional,
    case_data,
    case_ids,
    cases,
    label,
    load,
)

CURVE_FIELDS = ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")


def _columns(case: dict[str, Any]) -> list[str]:
    return [case["time"], case["event"]] + ([case["group"]] if case["group"] else [])


def _fit(case: dict[str, Any]) -> dict[str, KaplanMeierCurve]:
    data = case_data(case, _columns(case))
    assert len(data) == case["n_used"]
    t, e = data[case["time"]], data[case["event"]]
    if case["group"] is None:
        return {"all": fit_kaplan_meier(t, e, case["conf_type"])}
    curves = fit_kaplan_meier_by_group(t, e, data[case["group"]], case["conf_type"])
    return {label(k): v for k, v in curves.items()}


@pytest.mark.parametrize("case", cases("km"), ids=case_ids("km"))
def test_curve_equals_survfit(case: dict[str, Any]) -> None:
    curves = _fit(case)
    assert list(curves) == list(case["curves"])
    for group, expected in case["curves"].items():
        for name in CURVE_FIELDS:
            assert_close(getattr(curves[group], name), expected[name], f"{group} {name}")


@pytest.mark.parametrize("case", cases("km"), ids=case_ids("km"))
def test_median_and_ci_equal_quantile_survfit(case: dict[str, Any]) -> None:
    for group, expected in _fit(case).items():
        median = median_survival(expected)
        r = case["curves"][group]
        assert_optional(median.estimate, r["median"], f"{group} median")
        assert_optional(median.lower, r["median_lower"], f"{group} median lower")
        assert_optional(median.upper, r["median_upper"], f"{group} median upper")


@pytest.mark.parametrize(
    "case", [c for c in cases("km") if "at_times" in next(iter(c["curves"].values()))]
)
def test_number_at_risk_equals_summary_times(case: dict[str, Any]) -> None:
    for group, curve in _fit(case).items():
        expected = case["curves"][group]["at_times"]
        table = number_at_risk(curve, expected["time"])
        assert_close(table.n_risk, expected["n_risk"], f"{group} n.risk")
        assert_close(table.surv, expected["surv"], f"{group} surv")


@pytest.mark.parametrize("case", cases("km"), ids=case_ids("km"))
def test_reverse_km_follow_up(case: dict[str, Any]) -> None:
    data = case_data(case, _columns(case))
    follow = median_follow_up(data[case["time"]], data[case["event"]], case["conf_type"])
    assert_optional(follow.estimate, case["follow_up"]["median"], "median follow-up")
    assert_optional(follow.lower, case["follow_up"]["lower"], "lower")
    assert_optional(follow.upper, case["follow_up"]["upper"], "upper")


def _case(name: str) -> dict[str, Any]:
    return next(c for c in load("km")["cases"] if c["name"] == name)


def test_lung_by_sex_values_the_report_prints() -> None:
    """Hand-checked against R's print(survfit(..., conf.type = "log-log"))."""
    curves = _fit(_case("lung_sex"))
    m1, m2 = median_survival(curves["1"]), median_survival(curves["2"])
    assert (m1.estimate, m1.lower, m1.upper) == (270, 210, 306)
    assert (m2.estimate, m2.lower, m2.upper) == (426, 345, 524)


@pytest.mark.parametrize(
    ("name", "median"),
    [
        ("half_exact", 2.5),  # S = 0.5 over [2, 3): midpoint
        ("half_to_end", 3.0),  # S = 0.5 from 2 to the last time 4: midpoint (2 + 4) / 2
        ("not_reached", None),
        ("all_censored", None),
    ],
)
def test_median_rule_edge_cases(name: str, median: float | None) -> None:
    curve = _fit(_case(name))["all"]
    assert median_survival(curve).estimate == median


def test_near_equal_times_are_one_time_as_aeqsurv() -> None:
    curve = fit_kaplan_meier([0.1 + 0.2, 0.3, 1.0], [1, 1, 0])
    assert curve.time.tolist() == [0.3, 1.0]
    assert curve.n_event.tolist() == [2, 0]


def test_log_log_ci_is_na_where_survival_is_one_or_zero() -> None:
    curve = fit_kaplan_meier([1, 2, 3], [0, 1, 1])
    assert curve.surv.tolist() == [1.0, 0.5, 0.0]
    assert np.isnan(curve.lower[[0, 2]]).all() and np.isnan(curve.upper[[0, 2]]).all()
    assert 0 < curve.lower[1] < 0.5 < curve.upper[1] < 1


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1, -2], [1, 0], "time has negative values"),
        ([1, 2], [1, 2], "event has values other than 0 and 1"),
        ([1, np.nan], [1, 0], "time has missing or infinite values"),
        ([1, 2, 3], [1, 0], "time and event must be one-dimensional and of equal length"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(time: Any, event: Any, message: str) -> None:
    with pytest.raises(BadInputError) as info:
        fit_kaplan_meier(time, event)
    assert info.value.what == message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), min_size=1, max_size=60).map(
        lambda rows: (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    )
)
def test_curve_properties(data: tuple[np.ndarray, np.ndarray]) -> None:
    time, event = data
    curve = fit_kaplan_meier(time, event)
    assert np.all(np.diff(curve.surv) <= 0), "survival never increases"
    assert curve.n_event.sum() + curve.n_censor.sum() == time.size, "every subject counted"
    assert curve.n_risk[0] == time.size
    ok = ~np.isnan(curve.lower)
    assert np.all(curve.lower[ok] <= curve.surv[ok] + 1e-15)
    assert np.all(curve.surv[ok] <= curve.upper[ok] + 1e-15)
    median = median_survival(curve).estimate
    assert median is None or curve.time[0] <= median <= curve.time[-1]
