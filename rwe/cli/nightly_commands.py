"""`rwe nightly` (the whole job, for cron) and `rwe status` (did last night work?)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rwe.cli import app
from rwe.cli.context import state
from rwe.cli.jsonlog import use_json_logging
from rwe.config import load_settings
from rwe.db.connection import open_database
from rwe.nightly import nightly_config, run_nightly
from rwe.operations import last_night

out = Console()


@app.command("nightly")
def nightly(
    config: Annotated[
        Path | None, typer.Option("--config", help="rwe.toml with a [nightly] section.")
    ] = None,
    json_log: Annotated[
        bool, typer.Option("--json-log", help="Logs as JSON lines on stderr.")
    ] = False,
) -> None:
    """Extract, load, derive, run the quality gates and (optionally) write the study report.

    One job under one lock, for cron, a systemd timer or Airflow's BashOperator. The last
    line on stdout sums it up. Exit codes as `rwe --help`; 0 only when everything passed.

    Example (crontab): `15 2 * * * rwe nightly --config /etc/rwe/rwe.toml --json-log`.
    """
    if json_log:
        use_json_logging()
    settings = load_settings(state.database_url, config or state.config_file, state.cdm_schema)
    job = nightly_config(settings)
    summary = run_nightly(open_database(settings), job)
    typer.echo(summary.line())
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


@app.command("status")
def status() -> None:
    """Did last night work? The latest run, its gates and how long ago; exit 1 if it failed.

    Example: `rwe status`.
    """
    report = last_night(state.database())
    out.print(report.text)
    if not report.ok:
        raise typer.Exit(1)
