"""Wilcoxon rank-sum tests against R's wilcox.test."""

from __future__ import annotations

from math import comb
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rwe.analytics import wilcoxon_rank_sum, wilcoxon_rank_sum_by_group
from rwe.analytics.rank_sum import _rank_sum_counts
from rwe.errors import StatisticsError
from tests.analytics.r_fixtures import RTOL, case_ids, cases, load


@pytest.mark.parametrize("case", cases("wilcoxon"), ids=case_ids("wilcoxon"))
def test_equals_wilcox_test(case: dict[str, Any]) -> None:
    result = wilcoxon_rank_sum(case["x"], case["y"])
    assert result.w == case["w"]
    assert result.p == pytest.approx(case["p"], rel=RTOL)
    assert result.method == case["method"]


def test_by_group_uses_first_level_as_x() -> None:
    case = next(c for c in load("wilcoxon")["cases"] if c["name"] == "exact_small")
    data = pd.DataFrame(
        {"v": case["x"] + case["y"], "g": ["b"] * len(case["x"]) + ["c"] * len(case["y"])}
    )
    result = wilcoxon_rank_sum_by_group(data, "v", "g")
    assert result.groups == ["b", "c"]
    assert result.w == case["w"]


def test_three_groups_is_an_error() -> None:
    data = pd.DataFrame({"v": [1, 2, 3], "g": ["a", "b", "c"]})
    with pytest.raises(StatisticsError):
        wilcoxon_rank_sum_by_group(data, "v", "g")


@given(st.integers(1, 12), st.integers(1, 12))
def test_exact_distribution_counts_every_arrangement(m: int, n: int) -> None:
    counts = _rank_sum_counts(m, n)
    assert sum(counts) == comb(m + n, m)
    assert counts == counts[::-1], "the null distribution of W is symmetric"
