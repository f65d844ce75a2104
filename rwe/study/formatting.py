"""Numbers as the papers print them: n (%), median (range), HR (95% CI), p-values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def n_pct(n: int, total: int) -> str:
    """`16 (61.5)`; the denominator is everyone in the column."""
    if total == 0:
        return "0 (NA)"
    return f"{n} ({100 * n / total:.1f})"


def median_range(values: Iterable[Any]) -> str:
    """`74 (53-86)`, or NA without values."""
    clean = sorted(v for v in values if v is not None and not math.isnan(v))
    if not clean:
        return "NA"
    mid = len(clean) // 2
    median = clean[mid] if len(clean) % 2 else (clean[mid - 1] + clean[mid]) / 2
    return f"{_num(median)} ({_num(clean[0])}-{_num(clean[-1])})"


def estimate_ci(estimate: float | None, lower: float | None, upper: float | None) -> str:
    """`543 (355-1882)`; a bound that was not reached prints as `not reached`."""
    if estimate is None:
        return "not reached"
    return f"{_num(estimate)} ({_bound(lower)}-{_bound(upper)})"


def p_value(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _bound(value: float | None) -> str:
    return "not reached" if value is None or math.isnan(value) else _num(value)


def _num(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    return text.rstrip("0").rstrip(".")
