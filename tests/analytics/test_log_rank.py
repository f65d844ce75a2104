"""Log-rank / Peto-Peto tests against R's survdiff."""

from __future__ import annotations

from typing import Any

import pytest

from rwe.analytics import log_rank_test
from rwe.errors import StatisticsError
from tests.analytics.r_fixtures import RTOL, assert_close, case_data, case_ids, cases, label


@pytest.mark.parametrize("case", cases("logrank"), ids=case_ids("logrank"))
def test_equals_survdiff(case: dict[str, Any]) -> None:
    strata = case["strata"]
    cols = [case["time"], case["event"], case["group"]] + ([strata] if strata else [])
    data = case_data(case, cols)
    result = log_rank_test(
        data[case["time"]],
        data[case["event"]],
        data[case["group"]],
        data[strata] if strata else None,
        rho=case["rho"],
    )
    assert [label(g) for g in result.groups] == case["groups"]
    assert_close(result.n, case["n"], "n")
    assert_close(result.observed, case["observed"], "observed")
    assert_close(result.expected, case["expected"], "expected")
    assert result.df == case["df"]
    assert result.chisq == pytest.approx(case["chisq"], rel=RTOL)
    assert result.p == pytest.approx(case["p"], rel=RTOL)


def test_lung_by_sex_values_the_report_prints() -> None:
    """R: survdiff(Surv(time, status) ~ sex, lung): Chisq = 10.3 on 1 df, p = 0.001."""
    case = next(c for c in cases("logrank") if c["name"] == "lung_sex")
    data = case_data(case, ["time", "event", "sex"])
    result = log_rank_test(data.time, data.event, data.sex)
    assert round(result.chisq, 1) == 10.3
    assert round(result.p, 4) == 0.0013
    assert result.observed.tolist() == [112, 53]


def test_group_without_expected_events_leaves_the_degrees_of_freedom() -> None:
    # Group "c" leaves before any event: expected 0, so df = 1 although there are 3 groups.
    result = log_rank_test([5, 6, 7, 8, 1], [1, 1, 1, 0, 0], ["a", "b", "a", "b", "c"])
    assert result.expected[2] == 0
    assert result.df == 1


def test_one_group_is_an_error() -> None:
    with pytest.raises(StatisticsError) as info:
        log_rank_test([1, 2], [1, 1], ["a", "a"])
    assert info.value.what == "the log-rank test needs at least two groups"
