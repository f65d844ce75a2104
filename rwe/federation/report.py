"""The federated study's output: results.json of every pooled number, a Markdown and HTML
summary (with Table III, adverse events), and the pooled Kaplan-Meier figures.

Small-cell suppression (default 5) applies to what is released here: numbers at risk (in the
figures too), group sizes, event counts, contingency cells and adverse-event counts between 1
and min_cell - 1 are written as null ("<5"). Curves, medians and test statistics are written
in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rwe import __version__
from rwe.analytics.kaplan_meier import KaplanMeierCurve, median_survival, number_at_risk
from rwe.analytics.survival_quantile import SurvivalQuantile
from rwe.federation.protocol import COVARIATE_TERMS, VARIABLE_LEVELS
from rwe.federation.sorafenib import SorafenibPooled
from rwe.report.figures import KmFigureSpec, km_figure
from rwe.report.render import Report, ReportSection, ReportTable, write_report
from rwe.study.analyses import ENDPOINTS as ENDPOINT_NAMES
from rwe.study.analyses import MARKERS as MARKER_NAMES
from rwe.study.formatting import n_pct, p_value

DEFAULT_MIN_CELL = 5
RISK_TICK_DAYS = 180


def suppress(value: int, min_cell: int = DEFAULT_MIN_CELL) -> int | None:
    """A released count, or None when 1..min_cell-1 (could identify a patient)."""
    return None if 0 < value < min_cell else int(value)


def results_json(pooled: SorafenibPooled, min_cell: int = DEFAULT_MIN_CELL) -> dict[str, Any]:
    """Every pooled number, with suppression applied to counts."""
    return {
        "network": network_status(pooled, min_cell),
        "efficacy": {e: _efficacy(pooled, e, min_cell) for e in pooled.km},
        "log_rank": {
            f"{e}_by_{v}": {
                "groups": lr.groups,
                "n": [suppress(int(n), min_cell) for n in lr.n],
                "observed": lr.observed.tolist(),
                "expected": lr.expected.tolist(),
                "chisq": lr.chisq,
                "df": lr.df,
                "p": lr.p,
                "stratified_by_site": _stratified(pooled, e, v),
                "median": {
                    g: _quantile(median_survival(c)) for g, c in pooled.km_by_group[(e, v)].items()
                },
            }
            for (e, v), lr in pooled.log_rank.items()
        },
        "cox": [
            {
                "endpoint": e,
                "covariate": c,
                "model": kind,
                "ties": fit.ties,
                "n": fit.n,
                "events": suppress(fit.n_event, min_cell),
                "coef": fit.terms[0].coef,
                "se": fit.terms[0].se,
                "hr": fit.terms[0].hr,
                "hr_lower": fit.terms[0].hr_lower,
                "hr_upper": fit.terms[0].hr_upper,
                "p_wald": fit.terms[0].p_wald,
                "loglik": fit.loglik,
                "iterations": fit.iterations,
                "warnings": fit.warnings,
            }
            for (e, c, kind), fit in pooled.cox.items()
        ],
        "fisher": {
            f"{r}_x_{c}": {
                "rows": list(VARIABLE_LEVELS[r]),
                "columns": list(VARIABLE_LEVELS[c]),
                "table": [[suppress(int(v), min_cell) for v in row] for row in table],
                "p": pooled.fisher[(r, c)].p,
                "odds_ratio": pooled.fisher[(r, c)].odds_ratio,
            }
            for (r, c), table in pooled.tables.items()
        },
        "table3": _table3(pooled, min_cell),
        "refused_or_failed": pooled.failures,
    }


def _table3(pooled: SorafenibPooled, min_cell: int) -> dict[str, Any] | None:
    """Adverse events: patients with each term (every protocol term, zeros included)."""
    ae = pooled.adverse_events
    if ae is None:
        return None

    def cell(counts: tuple[int, int]) -> dict[str, int | None]:
        return {
            "all_grades": suppress(counts[0], min_cell),
            "grade_3_or_more": suppress(counts[1], min_cell),
        }

    return {
        "patients": ae.patients,
        "any_adverse_event": cell(ae.any_event),
        "terms": {term: cell(counts) for term, counts in ae.terms.items()},
    }


def adverse_event_table(table3: dict[str, Any], min_cell: int) -> pd.DataFrame:
    """Table III as the single-site report shows it (rwe.study.analyses.adverse_events): the
    terms some patient had, most frequent first, then any adverse event; n (%), a suppressed
    count as <min_cell (those terms last, by name)."""
    n = table3["patients"]

    def shown(count: int | None) -> str:
        return f"<{min_cell}" if count is None else n_pct(count, n)

    def order(item: tuple[str, dict[str, int | None]]) -> tuple[int, int, str]:
        count = item[1]["all_grades"]
        return (1, 0, item[0]) if count is None else (0, -count, item[0])

    rows = [
        (term, shown(c["all_grades"]), shown(c["grade_3_or_more"]))
        for term, c in sorted(table3["terms"].items(), key=order)
        if c["all_grades"] != 0
    ]
    any_ae = table3["any_adverse_event"]
    rows.append(
        ("Any adverse event", shown(any_ae["all_grades"]), shown(any_ae["grade_3_or_more"]))
    )
    return pd.DataFrame(rows, columns=["Adverse event", "All grades, n (%)", "Grade ≥ 3, n (%)"])


def network_status(pooled: SorafenibPooled, min_cell: int) -> dict[str, Any]:
    return {
        "sites": pooled.sites,
        "missing_sites": pooled.missing,
        "partial": bool(pooled.missing),
        "masking": "pairwise cancelling masks (secure sum)"
        if pooled.masking
        else "NONE: the coordinator saw each site's aggregates",
        "min_cell": min_cell,
        "max_day": pooled.options.max_day,
        "ties": pooled.options.ties,
    }


def _efficacy(pooled: SorafenibPooled, endpoint: str, min_cell: int) -> dict[str, Any]:
    curve = pooled.km[endpoint]
    return {
        "n": curve.n,
        "events": suppress(int(curve.n_event.sum()), min_cell),
        "median": _quantile(median_survival(curve)),
        "follow_up_reverse_km": _quantile(pooled.follow_up[endpoint]),
        "curve": {
            "time": curve.time.tolist(),
            "surv": curve.surv.tolist(),
            "lower": curve.lower.tolist(),
            "upper": curve.upper.tolist(),
        },
        "number_at_risk": risk_table(curve, min_cell),
    }


def risk_ticks(curve: KaplanMeierCurve) -> np.ndarray:
    """Days of the number-at-risk table: every RISK_TICK_DAYS from 0 past the last time."""
    last = float(curve.time[-1]) if curve.time.size else 0.0
    return np.arange(0, last + RISK_TICK_DAYS, RISK_TICK_DAYS)


def risk_table(curve: KaplanMeierCurve, min_cell: int) -> dict[str, list[Any]]:
    ticks = risk_ticks(curve)
    table = number_at_risk(curve, ticks)
    return {
        "day": [int(t) for t in ticks],
        "n_risk": [suppress(int(n), min_cell) for n in table.n_risk],
    }


def _quantile(q: SurvivalQuantile) -> dict[str, float | None]:
    return {"estimate": q.estimate, "lower": q.lower, "upper": q.upper}


def _stratified(pooled: SorafenibPooled, endpoint: str, variable: str) -> dict[str, Any] | None:
    lr = pooled.log_rank_by_site.get((endpoint, variable))
    if lr is None:
        return None
    return {"chisq": lr.chisq, "df": lr.df, "p": lr.p}


def write_federated_report(
    pooled: SorafenibPooled, out_dir: Path, min_cell: int = DEFAULT_MIN_CELL
) -> dict[str, Path]:
    """results.json, report.md/html and CSVs in `out_dir` (via rwe.report.render)."""
    results = results_json(pooled, min_cell)
    status = results["network"]
    notes = [
        f"Sites pooled: {', '.join(status['sites'])}.",
        f"Masking: {status['masking']}.",
    ]
    if status["partial"]:
        notes.append(
            "PARTIAL RESULT: missing site(s) " + ", ".join(sorted(status["missing_sites"])) + "."
        )
    if pooled.failures:
        notes.append(f"Refused or failed analyses: {len(pooled.failures)} (see results.json).")
    if min_cell > 1:
        notes.append(
            f"Figures: pooled Kaplan-Meier curves; numbers at risk from 1 to {min_cell - 1}"
            f" are shown as <{min_cell}."
        )
    efficacy = pd.DataFrame(
        [
            {
                "endpoint": e.upper(),
                "n": r["n"],
                "events": _shown(r["events"]),
                "median (days)": r["median"]["estimate"],
                "95% CI": f"{r['median']['lower']}–{r['median']['upper']}",
                "median follow-up (reverse KM)": r["follow_up_reverse_km"]["estimate"],
            }
            for e, r in results["efficacy"].items()
        ]
    )
    log_rank = pd.DataFrame(
        [
            {
                "analysis": k,
                "chisq": v["chisq"],
                "p": v["p"],
                "p stratified by site": (v["stratified_by_site"] or {}).get("p"),
            }
            for k, v in results["log_rank"].items()
        ]
    )
    cox = pd.DataFrame(
        [
            {
                "endpoint": r["endpoint"].upper(),
                "term": COVARIATE_TERMS[r["covariate"]],
                "model": r["model"],
                "HR": r["hr"],
                "95% CI": f"{r['hr_lower']:.3f}–{r['hr_upper']:.3f}",
                "p": r["p_wald"],
            }
            for r in results["cox"]
        ]
    )
    fisher = pd.DataFrame(
        [
            {
                "table": k,
                "cells": str([[_shown(c) for c in row] for row in v["table"]]),
                "p": v["p"],
            }
            for k, v in results["fisher"].items()
        ]
    )
    section = ReportSection(
        "Pooled analysis",
        paragraphs=notes,
        tables=[
            ReportTable("federated_efficacy", "Median TTF, PFS, OS (pooled KM)", efficacy),
            ReportTable("federated_log_rank", "Log-rank by marker group", log_rank),
            ReportTable("federated_cox", "Univariate Cox (Breslow unless stated)", cox),
            ReportTable("federated_fisher", "Fisher's exact test, pooled counts", fisher),
            *(
                []
                if results["table3"] is None
                else [
                    ReportTable(
                        "federated_table3_adverse_events",
                        "Table III. Adverse events (pooled)",
                        adverse_event_table(results["table3"], min_cell),
                        "Maximum CTCAE grade; patients with the event, of the included patients.",
                    )
                ]
            ),
        ],
        figures=km_figures(pooled, min_cell),
    )
    report = Report(
        title="Sorafenib in thyroid cancer: federated analysis",
        metadata={"software": f"rwe {__version__}", **{k: str(v) for k, v in status.items()}},
        sections=[section],
        results=results,
    )
    return write_report(report, out_dir)


def km_figures(pooled: SorafenibPooled, min_cell: int) -> dict[str, tuple[str, Figure]]:
    """The pooled curves as the single-site report draws them (rwe.study.sorafenib): each
    endpoint, then each endpoint by marker group with its log-rank p; the number-at-risk
    table on the days of results.json's, suppressed the same way."""
    figures: dict[str, tuple[str, Figure]] = {}
    for endpoint, curve in pooled.km.items():
        title = f"{ENDPOINT_NAMES.get(endpoint, endpoint.upper())} (pooled)"
        spec = KmFigureSpec(
            title, {"All": curve}, risk_times=risk_ticks(curve).tolist(), min_cell=min_cell
        )
        figures[f"federated_km_{endpoint}"] = (title, km_figure(spec))
    for (endpoint, variable), curves in pooled.km_by_group.items():
        if not curves:
            continue
        label = MARKER_NAMES.get(variable, variable.upper())
        title = f"{ENDPOINT_NAMES.get(endpoint, endpoint.upper())} by baseline {label} (pooled)"
        longest = max(curves.values(), key=lambda c: float(c.time[-1]) if c.time.size else 0.0)
        lr = pooled.log_rank.get((endpoint, variable))
        spec = KmFigureSpec(
            title,
            {f"{label} {level}": c for level, c in curves.items()},
            risk_times=risk_ticks(longest).tolist(),
            annotation=None if lr is None else f"log-rank p = {p_value(lr.p)}",
            min_cell=min_cell,
        )
        figures[f"federated_km_{endpoint}_by_{variable}"] = (title, km_figure(spec))
    return figures


def _shown(value: int | None) -> str:
    return "<5" if value is None else str(value)
