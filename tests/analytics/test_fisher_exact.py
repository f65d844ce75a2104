"""Fisher's exact test and exact binomial CIs against R's fisher.test and binom.test."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from rwe.analytics import binomial_proportion, fisher_exact_from_columns, fisher_exact_test
from rwe.errors import StatisticsError
from tests.analytics.r_fixtures import RTOL, assert_optional, case_ids, cases


@pytest.mark.parametrize("case", cases("fisher"), ids=case_ids("fisher"))
def test_p_equals_fisher_test(case: dict[str, Any]) -> None:
    assert fisher_exact_test(case["table"]).p == pytest.approx(case["p"], rel=RTOL)


@pytest.mark.parametrize(
    "case", [c for c in cases("fisher") if "odds_ratio" in c], ids=lambda c: c["name"]
)
def test_conditional_mle_odds_ratio_and_ci(case: dict[str, Any]) -> None:
    result = fisher_exact_test(case["table"])
    for ours, theirs in (
        (result.odds_ratio, "odds_ratio"),
        (result.or_lower, "or_lower"),
        (result.or_upper, "or_upper"),
    ):
        assert_optional(ours, case[theirs], theirs)


def test_tea_tasting_hand_checked() -> None:
    """fisher.test(matrix(c(3, 1, 1, 3), 2)): p = 0.4857, odds ratio 6.408309."""
    result = fisher_exact_test([[3, 1], [1, 3]])
    assert round(result.p, 4) == 0.4857
    assert round(result.odds_ratio or 0, 6) == 6.408309


def test_from_columns_cross_tabulates_sorted_levels() -> None:
    data = pd.DataFrame({"r": ["y", "x", "x", "y", "x"], "c": [1, 0, 0, 1, 1]})
    result = fisher_exact_from_columns(data, "r", "c")
    assert result.row_labels == ["x", "y"]
    assert result.table.tolist() == [[2, 1], [0, 2]]


def test_one_column_table_is_an_error() -> None:
    with pytest.raises(StatisticsError):
        fisher_exact_test([[1], [2]])


@pytest.mark.parametrize("case", cases("binom"), ids=lambda c: f"{c['x']}of{c['n']}")
def test_clopper_pearson_equals_binom_test(case: dict[str, Any]) -> None:
    result = binomial_proportion(case["x"], case["n"])
    assert result.estimate == pytest.approx(case["estimate"], rel=RTOL)
    assert result.lower == pytest.approx(case["lower"], rel=RTOL, abs=1e-12)
    assert result.upper == pytest.approx(case["upper"], rel=RTOL)
    assert result.p == pytest.approx(case["p"], rel=RTOL)
