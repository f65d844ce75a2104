"""`rwe analyze sorafenib`: the papers' analyses from the OMOP database, as a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rwe.cli import app
from rwe.cli.context import state

analyze_app = typer.Typer(help="Run a study on the OMOP database.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")
out = Console()


@analyze_app.command("sorafenib")
def analyze_sorafenib_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the report.")],
    histology: Annotated[str, typer.Option(help="dtc, mtc, atc or all.")] = "all",
    cutoff: Annotated[
        str | None, typer.Option(help="Data cutoff YYYY-MM-DD (default: latest date).")
    ] = None,
    baseline_window: Annotated[
        int, typer.Option("--baseline-window", help="Days before index for baseline labs.")
    ] = 30,
    min_duration: Annotated[
        int, typer.Option("--min-duration", help="Exclude total treatment shorter than this.")
    ] = 30,
    marker_cutoffs: Annotated[
        str | None, typer.Option("--marker-cutoffs", help="e.g. LMR=4,NLR=3 (high ≥ cutoff).")
    ] = None,
    ties: Annotated[str, typer.Option(help="Cox ties: breslow (EZR) or efron.")] = "breslow",
    ignore_gates: Annotated[
        bool, typer.Option("--ignore-gates", help="Analyse even if the latest gate failed.")
    ] = False,
) -> None:
    """Tables I-III, efficacy, Kaplan-Meier figures, per histology; numbers equal to R/EZR.

    Example: `rwe analyze sorafenib --histology dtc --cutoff 2021-05-31 --out report/`.
    The study tables are refreshed first with these options (`rwe derive`).
    """
    # Imported here: pandas, scipy and matplotlib would slow every other `rwe` command down.
    from rwe.derive.params import load_study_config
    from rwe.derive.runner import refresh
    from rwe.study.gates import gate_status_for_analysis
    from rwe.study.options import SorafenibOptions, parse_marker_cutoffs
    from rwe.study.sorafenib import analyze_sorafenib

    options = SorafenibOptions(
        histology=histology,
        cutoff=dt.date.fromisoformat(cutoff) if cutoff else None,
        baseline_window_days=baseline_window,
        min_duration_days=min_duration,
        marker_cutoffs=parse_marker_cutoffs(marker_cutoffs),
        ties=ties,
        ignore_gates=ignore_gates,
    )
    db = state.database()
    gate_status = gate_status_for_analysis(db, ignore_gates)
    params = load_study_config().params.with_options(
        cutoff_date=options.cutoff,
        baseline_window_days=options.baseline_window_days,
        min_treatment_days=options.min_duration_days,
    )
    refresh(db, params=params)
    summary = analyze_sorafenib(db, options, out_dir, gate_status)
    out.print(f"Report for {summary.n_included} patients: {summary.files['report.html']}")
    out.print(f"Quality gates: {summary.gate_status}")
