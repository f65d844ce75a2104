"""`rwe stats ...`: Kaplan-Meier, log-rank, Cox, Wilcoxon and Fisher on a file, as R/EZR."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rwe.cli import app

stats_app = typer.Typer(
    help=(
        "Survival and comparison statistics equal to R's survival package with EZR's settings "
        "(log-log CI, Breslow ties). Input: a CSV or Parquet file, one row per subject; rows "
        "with a missing value in a used column are dropped and counted on stderr.\n\n"
        "Example: `rwe stats km --data lung.csv --time time --event event --group sex`."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(stats_app, name="stats")

DataOpt = Annotated[Path, typer.Option("--data", help="CSV or Parquet file, a row per subject.")]
TimeOpt = Annotated[str, typer.Option("--time", help="Column of follow-up times.")]
EventOpt = Annotated[str, typer.Option("--event", help="Column: 1 = event, 0 = censored.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object, not tables.")]
GroupOpt = Annotated[str | None, typer.Option("--group", help="Column defining the groups.")]


@stats_app.command("km")
def stats_km(
    data: DataOpt,
    time: TimeOpt,
    event: EventOpt,
    group: GroupOpt = None,
    conf_type: Annotated[
        str, typer.Option("--conf-type", help="CI type: log-log (EZR), log or plain.")
    ] = "log-log",
    as_json: JsonOpt = False,
) -> None:
    """Kaplan-Meier curves, medians with 95% CI, and the log-rank test when grouped.

    Example: `rwe stats km --data lung.csv --time time --event event --group sex --json`.
    """
    from rwe.cli import stats_output

    stats_output.run_km(data, time, event, group, conf_type, as_json)


@stats_app.command("logrank")
def stats_logrank(
    data: DataOpt,
    time: TimeOpt,
    event: EventOpt,
    group: Annotated[str, typer.Option("--group", help="Column defining the groups.")],
    strata: Annotated[str | None, typer.Option("--strata", help="Stratify by this column.")] = None,
    rho: Annotated[float, typer.Option("--rho", help="0 log-rank, 1 Peto-Peto.")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Log-rank test (R's survdiff, rho = 0) between groups, optionally stratified.

    Example: `rwe stats logrank --data lung.csv --time time --event event --group sex`.
    """
    from rwe.cli import stats_output

    stats_output.run_logrank(data, time, event, group, strata, rho, as_json)


@stats_app.command("cox")
def stats_cox(
    data: DataOpt,
    time: TimeOpt,
    event: EventOpt,
    covariates: Annotated[
        str, typer.Option("--covariates", help="Comma-separated covariate columns.")
    ],
    ties: Annotated[str, typer.Option("--ties", help="breslow (EZR) or efron.")] = "breslow",
    as_json: JsonOpt = False,
) -> None:
    """Cox proportional hazards model: HR, 95% CI, Wald p; LR, Wald and score tests.

    Text covariates get R's treatment contrasts (first level, sorted, is the reference).
    Example: `rwe stats cox --data lung.csv --time time --event event --covariates age,sex`.
    """
    from rwe.cli import stats_output

    stats_output.run_cox(data, time, event, covariates, ties, as_json)


@stats_app.command("wilcoxon")
def stats_wilcoxon(
    data: DataOpt,
    value: Annotated[str, typer.Option("--value", help="Column of the values to compare.")],
    group: Annotated[str, typer.Option("--group", help="Column with exactly two groups.")],
    as_json: JsonOpt = False,
) -> None:
    """Wilcoxon rank-sum test between two groups, as R's wilcox.test (two-sided).

    Example: `rwe stats wilcoxon --data lung.csv --value age --group sex`.
    """
    from rwe.cli import stats_output

    stats_output.run_wilcoxon(data, value, group, as_json)


@stats_app.command("fisher")
def stats_fisher(
    data: DataOpt,
    row: Annotated[str, typer.Option("--row", help="Column for the table's rows.")],
    col: Annotated[str, typer.Option("--col", help="Column for the table's columns.")],
    as_json: JsonOpt = False,
) -> None:
    """Fisher's exact test (two-sided, as R's fisher.test), 2×2 or larger tables.

    Example: `rwe stats fisher --data lung.csv --row sex --col ph.ecog`.
    """
    from rwe.cli import stats_output

    stats_output.run_fisher(data, row, col, as_json)
