"""What `rwe stats` computes and prints (imported on use, so `rwe --help` stays fast)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from rwe.analytics import (
    CoxResult,
    FisherResult,
    KaplanMeierCurve,
    LogRankResult,
    RankSumResult,
    complete_rows,
    fisher_exact_from_columns,
    fit_cox,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    log_rank_test,
    median_survival,
    read_table,
    wilcoxon_rank_sum_by_group,
)
from rwe.analytics.cox_model import Ties
from rwe.analytics.kaplan_meier import ConfType
from rwe.analytics.result_json import (
    cox_json,
    fisher_json,
    group_label,
    km_json,
    log_rank_json,
    rank_sum_json,
)
from rwe.errors import BadInputError

out = Console()


def run_km(data: Any, time: Any, event: Any, group: Any, conf_type: Any, as_json: Any) -> None:
    """`rwe stats km`."""
    df = _load(data, [time, event, group])
    ct = cast(ConfType, conf_type)  # checked by the library
    if group is None:
        curves = {"all": fit_kaplan_meier(df[time], df[event], ct)}
    else:
        curves = fit_kaplan_meier_by_group(df[time], df[event], df[group], ct)
    test = log_rank_test(df[time], df[event], df[group]) if group is not None else None
    result: dict[str, Any] = {"km": km_json(curves)}
    if test is not None:
        result["logrank"] = log_rank_json(test)
    _emit(result, as_json, lambda: _print_km(curves, test))


def run_logrank(
    data: Any, time: Any, event: Any, group: Any, strata: Any, rho: Any, as_json: Any
) -> None:
    """`rwe stats logrank`."""
    df = _load(data, [time, event, group, strata])
    s = df[strata] if strata is not None else None
    test = log_rank_test(df[time], df[event], df[group], s, rho)
    _emit({"logrank": log_rank_json(test)}, as_json, lambda: _print_log_rank(test))


def run_cox(data: Any, time: Any, event: Any, covariates: Any, ties: Any, as_json: Any) -> None:
    """`rwe stats cox`."""
    names = [c.strip() for c in covariates.split(",") if c.strip()]
    df = _load(data, [time, event, *names])
    fit = fit_cox(df, time, event, names, ties=cast(Ties, ties))  # checked by the library
    _emit({"cox": cox_json(fit)}, as_json, lambda: _print_cox(fit))


def run_wilcoxon(data: Any, value: Any, group: Any, as_json: Any) -> None:
    """`rwe stats wilcoxon`."""
    df = _load(data, [value, group])
    test = wilcoxon_rank_sum_by_group(df, value, group)
    _emit({"wilcoxon": rank_sum_json(test)}, as_json, lambda: _print_rank_sum(test))


def run_fisher(data: Any, row: Any, col: Any, as_json: Any) -> None:
    """`rwe stats fisher`."""
    df = _load(data, [row, col])
    test = fisher_exact_from_columns(df, row, col)
    _emit({"fisher": fisher_json(test)}, as_json, lambda: _print_fisher(test))


def _load(path: Path, columns: Sequence[str | None]) -> pd.DataFrame:
    """Read the file and drop incomplete rows, saying how many on stderr."""
    rows = complete_rows(read_table(path), columns)
    if rows.n_dropped:
        used = ", ".join(c for c in columns if c is not None)
        noun = "row" if rows.n_dropped == 1 else "rows"
        typer.echo(f"Dropped {rows.n_dropped} {noun} with a missing value in {used}.", err=True)
    if rows.data.empty:
        raise BadInputError("no complete rows left to analyse", "Check the columns and the file.")
    return rows.data


def _emit(result: dict[str, Any], as_json: bool, print_tables: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(result, allow_nan=False))
    else:
        print_tables()


def _table(*headers: str) -> Table:
    """A compact table (R's print is compact too); numbers right-aligned."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
    return table


def _fmt(value: float | int | None, digits: int = 4) -> str:
    return "NA" if value is None or value != value else f"{value:.{digits}g}"


def _print_km(curves: dict[Any, KaplanMeierCurve], test: LogRankResult | None) -> None:
    """Like R's print(survfit): n, events, median and its CI per group."""
    level = next(iter(curves.values())).conf_level
    table = _table("group", "n", "events", "median", f"{level:g}LCL", f"{level:g}UCL")
    for label, curve in curves.items():
        m = median_survival(curve)
        table.add_row(
            group_label(label),
            str(curve.n),
            str(int(curve.n_event.sum())),
            *(_fmt(v) for v in (m.estimate, m.lower, m.upper)),
        )
    out.print(table)
    if test is not None:
        _print_log_rank(test)


def _print_log_rank(test: LogRankResult) -> None:
    """Like R's print(survdiff)."""
    table = _table("group", "N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V")
    for i, label in enumerate(test.groups):
        o, e, v = test.observed[i], test.expected[i], test.variance[i, i]
        table.add_row(
            group_label(label),
            str(int(test.n[i])),
            _fmt(o),
            _fmt(e),
            _fmt((o - e) ** 2 / e if e else None),
            _fmt((o - e) ** 2 / v if v else None),
        )
    out.print(table)
    out.print(f"Chisq = {_fmt(test.chisq)} on {test.df} degrees of freedom, p = {_fmt(test.p)}")


def _print_cox(fit: CoxResult) -> None:
    """Like R's summary(coxph): coefficients, then hazard ratios with CI, then the tests."""
    coefs = _table("term", "coef", "exp(coef)", "se(coef)", "z", "Pr(>|z|)")
    ratios = _table("term", "exp(coef)", "lower .95", "upper .95")
    for t in fit.terms:
        coefs.add_row(t.term, *(_fmt(v) for v in (t.coef, t.hr, t.se, t.z, t.p_wald)))
        ratios.add_row(t.term, *(_fmt(v) for v in (t.hr, t.hr_lower, t.hr_upper)))
    out.print(coefs)
    out.print(ratios)
    out.print(f"n = {fit.n}, number of events = {fit.n_event}, ties = {fit.ties}")
    for name, stat, p in (
        ("Likelihood ratio test", fit.lr, fit.p_lr),
        ("Wald test", fit.wald, fit.p_wald),
        ("Score (logrank) test", fit.score, fit.p_score),
    ):
        out.print(f"{name} = {_fmt(stat)} on {fit.df} df, p = {_fmt(p)}")
    for warning in fit.warnings:
        typer.echo(f"Warning: {warning}", err=True)


def _print_rank_sum(test: RankSumResult) -> None:
    groups = " vs ".join(group_label(g) for g in test.groups)
    out.print(f"{test.method} ({groups}, n = {test.n_x}, {test.n_y})")
    out.print(f"W = {_fmt(test.w, 10)}, p-value = {_fmt(test.p)}")


def _print_fisher(test: FisherResult) -> None:
    table = _table("", *(group_label(c) for c in test.col_labels))
    for label, counts in zip(test.row_labels, test.table.tolist(), strict=True):
        table.add_row(group_label(label), *(str(c) for c in counts))
    out.print(table)
    out.print(f"Fisher's exact test (two-sided): p-value = {_fmt(test.p)}")
    if test.odds_ratio is not None:
        ci = f"{_fmt(test.or_lower)} to {_fmt(test.or_upper)}"
        out.print(f"odds ratio (conditional MLE) = {_fmt(test.odds_ratio)}, 95% CI {ci}")
