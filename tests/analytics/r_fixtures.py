"""Loading the reference results R computed (fixtures/make_fixtures.R) and their data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
RTOL = 1e-6  # the spec: results match R to 1e-6, relative
ATOL = 1e-12  # only for values that are exactly 0 in R


@cache
def load(name: str) -> dict[str, Any]:
    """One fixture file (`km`, `logrank`, `cox`, ...) as written by R."""
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def cases(name: str) -> list[dict[str, Any]]:
    return list(load(name)["cases"])


def case_ids(name: str) -> list[str]:
    return [str(c["name"]) for c in cases(name)]


def case_data(case: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """The CSV R used, with the rows R dropped for missing values dropped too."""
    data = pd.read_csv(FIXTURES / case["data"])
    return data.dropna(subset=columns)


def as_array(values: Any) -> np.ndarray:
    """R's NA (JSON null) as NaN, so arrays compare with equal_nan."""
    if not isinstance(values, list):
        values = [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def assert_close(actual: Any, expected: Any, what: str = "") -> None:
    """Equal to R within 1e-6 relative, NaN where R has NA, same length."""
    a = np.asarray(actual, dtype=float)
    e = as_array(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != R's {e.shape}"
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=what)


def assert_optional(actual: float | None, expected: float | None, what: str = "") -> None:
    """A value R may report as NA (None here)."""
    if expected is None:
        assert actual is None, f"{what}: R has NA, got {actual}"
    else:
        assert actual is not None, f"{what}: R has {expected}, got None"
        assert actual == pytest.approx(expected, rel=RTOL), what


def label(value: Any) -> str:
    """Group label as R wrote it: 1.0 read back from CSV is "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
