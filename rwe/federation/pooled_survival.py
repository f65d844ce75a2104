"""Exact pooled Kaplan-Meier, log-rank and reverse KM from per-day counts summed over sites.

Per-day event and exit counts per group are sufficient statistics: the pooled counts define a
multiset of (day, event, group) rows equal to the union of the sites' rows, so the analytics
functions run on that pseudo-data give exactly the centralized answer (same code path, no
re-derived formulas).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from rwe.analytics.kaplan_meier import (
    KaplanMeierCurve,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    median_follow_up,
)
from rwe.analytics.log_rank import LogRankResult, chi_square, log_rank_test
from rwe.analytics.survival_input import FloatArray, IntArray
from rwe.analytics.survival_quantile import SurvivalQuantile
from rwe.errors import StatisticsError
from rwe.federation.protocol import VARIABLE_LEVELS


@dataclass(frozen=True)
class DayCounts:
    """Pooled events and exits (event or censoring) per level (rows) and day 0..max (columns)."""

    levels: tuple[str, ...]
    n_event: IntArray
    n_exit: IntArray

    @classmethod
    def from_totals(cls, totals: Mapping[str, float], variable: str, max_day: int) -> DayCounts:
        levels = VARIABLE_LEVELS[variable]
        days = range(max_day + 1)
        event = np.array([[totals[f"event|{lv}|{d}"] for d in days] for lv in levels])
        exits = np.array([[totals[f"exit|{lv}|{d}"] for d in days] for lv in levels])
        return cls(levels, _as_counts(event), _as_counts(exits))

    def rows(self) -> tuple[IntArray, IntArray, list[str]]:
        """The pooled pseudo-rows: day, event (1/0) and level of every subject."""
        times: list[int] = []
        events: list[int] = []
        groups: list[str] = []
        for k, level in enumerate(self.levels):
            for day in np.flatnonzero(self.n_exit[k]):
                d, x = int(self.n_event[k, day]), int(self.n_exit[k, day])
                times += [int(day)] * x
                events += [1] * d + [0] * (x - d)
                groups += [level] * x
        return np.array(times, dtype=np.int64), np.array(events, dtype=np.int64), groups

    @property
    def event_days(self) -> list[int]:
        """The pooled event-time grid (days with at least one event in any level)."""
        return [int(d) for d in np.flatnonzero(self.n_event.sum(axis=0))]

    @property
    def n(self) -> dict[str, int]:
        return {lv: int(self.n_exit[k].sum()) for k, lv in enumerate(self.levels)}


def _as_counts(values: FloatArray) -> IntArray:
    rounded = np.rint(values)
    if np.any(np.abs(values - rounded) > 1e-6) or np.any(rounded < 0):
        raise StatisticsError(
            "pooled counts are not whole numbers: the sites' masks did not cancel",
            "All sites must hold the pair keys agreed with each other (site-setup).",
        )
    return rounded.astype(np.int64)


def pooled_kaplan_meier(counts: DayCounts) -> KaplanMeierCurve:
    """One curve over all levels (EZR: log-log 95% CI)."""
    time, event, _ = counts.rows()
    return fit_kaplan_meier(time, event)


def pooled_kaplan_meier_by_group(counts: DayCounts) -> dict[str, KaplanMeierCurve]:
    time, event, group = counts.rows()
    return fit_kaplan_meier_by_group(time, event, group)


def pooled_log_rank(counts: DayCounts) -> LogRankResult:
    """survdiff over the pooled rows (no strata)."""
    time, event, group = counts.rows()
    return log_rank_test(time, event, group)


def pooled_follow_up(counts: DayCounts) -> SurvivalQuantile:
    """Median follow-up by reverse Kaplan-Meier over the pooled rows."""
    time, event, _ = counts.rows()
    return median_follow_up(time, event)


def stratified_log_rank(
    totals: Mapping[str, float], variable: str, n: Mapping[str, int]
) -> LogRankResult:
    """survdiff(... + strata(site)) from the sites' summed observed, expected and variance."""
    levels = VARIABLE_LEVELS[variable]
    k = len(levels)
    observed = np.array([totals[f"observed|{i + 1}"] for i in range(k)])
    expected = np.array([totals[f"expected|{i + 1}"] for i in range(k)])
    variance = np.array([[totals[f"variance|{i + 1}|{j + 1}"] for j in range(k)] for i in range(k)])
    # Levels nobody has are absent from survdiff's factor: drop them as R does.
    present = [i for i, lv in enumerate(levels) if n.get(lv, 0) > 0]
    observed, expected = observed[present], expected[present]
    variance = variance[np.ix_(present, present)]
    chisq, df = chi_square(observed, expected, variance)
    return LogRankResult(
        groups=[levels[i] for i in present],
        n=np.array([n[levels[i]] for i in present], dtype=np.int64),
        observed=observed,
        expected=expected,
        variance=variance,
        chisq=chisq,
        df=df,
        p=float(chi2.sf(chisq, df)) if df > 0 else float("nan"),
        rho=0.0,
    )
