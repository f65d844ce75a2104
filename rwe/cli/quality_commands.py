"""`rwe quality ...`: run the data-quality gates and list the check catalogue."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rwe.cli import app
from rwe.cli.context import state
from rwe.quality import GateReport, load_catalogue, run_gates

quality_app = typer.Typer(help="Data-quality gates (OHDSI DQD checks).", no_args_is_help=True)
app.add_typer(quality_app, name="quality")
out = Console(width=160)
log = logging.getLogger("rwe.quality")

ChecksOption = Annotated[
    Path | None,
    typer.Option("--checks", help="Site TOML overriding the built-in check catalogue."),
]


@quality_app.command("check")
def quality_check(
    checks: ChecksOption = None,
    docs: Annotated[
        Path | None, typer.Option("--docs", help="Write great-expectations Data Docs (HTML) here.")
    ] = None,
) -> None:
    """Run every check, print a summary, store the results; exit 7 when a fatal check fails.

    Example: `rwe quality check --docs quality-docs && open quality-docs/index.html`.
    """
    settings = state.settings()
    report = run_gates(
        state.database(),
        checks_file=checks,
        site_config=settings.extra.get("quality"),
        docs_dir=docs,
        progress=log.info,
    )
    print_summary(report)
    report.raise_for_status()


@quality_app.command("list")
def quality_list(checks: ChecksOption = None) -> None:
    """List the checks with their severity and threshold. Example: `rwe quality list`."""
    catalogue = load_catalogue(checks, state.settings().extra.get("quality"))
    table = Table("check", "severity", "threshold %", "enabled", "description")
    for c in catalogue.checks:
        table.add_row(c.check_id, c.severity, f"{c.threshold:g}", str(c.enabled), c.description)
    out.print(table)


_ORDER = {"Error": 0, "Failed": 1, "Passed": 2, "Not applicable": 3}


def print_summary(report: GateReport) -> None:
    """The summary table (failures first) and a one-line verdict, on stdout."""
    table = Table("check", "status", "failing rows", "%", "threshold %", "severity")
    rows = sorted(report.results, key=lambda r: (_ORDER[r.status], r.severity, r.check_id))
    for r in rows:
        table.add_row(
            r.check_id,
            r.status,
            "" if r.num_violated_rows is None else f"{r.num_violated_rows:,}",
            "" if r.pct_violated_rows is None else f"{r.pct_violated_rows:.2f}",
            f"{r.threshold_value:g}",
            r.severity,
        )
    out.print(table)
    counts = ", ".join(f"{report.count(s)} {s.lower()}" for s in _ORDER)
    out.print(
        f"Gate run {report.gate_run_id}: {report.status.upper()} ({counts}; "
        f"{len(report.fatal_failures)} fatal and {len(report.warn_failures)} warn failures) "
        f"in {report.duration_seconds:.1f} s."
    )
    if report.docs_index:
        out.print(f"Data Docs: {report.docs_index}")
