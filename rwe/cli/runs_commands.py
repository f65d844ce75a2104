"""`rwe runs`: past runs and their reports and rejects."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from rwe.cli import app
from rwe.cli.context import state
from rwe.etl.report import render
from rwe.etl.runs import get_run, list_runs, run_rejects

runs_app = typer.Typer(
    help="Past runs: `rwe runs` lists them, `rwe runs show ID` shows one.",
    invoke_without_command=True,
)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="How many runs to list.")] = 20,
) -> None:
    """List the latest runs, newest first. Example: `rwe runs --limit 5`."""
    if ctx.invoked_subcommand is not None:
        return
    found = list_runs(state.database(), limit)
    typer.echo(
        f"{'run':>6}  {'command':<8}{'status':<12}{'started (UTC)':<21}"
        f"{'read':>10}{'loaded':>10}{'rejected':>10}"
    )
    for run in found:
        started = run["started_at"].strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(
            f"{run['run_id']:>6}  {run['command']:<8}{run['status']:<12}{started:<21}"
            f"{run.get('read') or 0:>10,}"
            f"{run.get('loaded') or 0:>10,}{run.get('rejected') or 0:>10,}"
        )


@runs_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="The run id (from `rwe runs`).")],
    rejects: Annotated[
        bool, typer.Option("--rejects", help="Also list the first rejects (file, line, reason).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored report as JSON.")
    ] = False,
) -> None:
    """Show one run's report. Example: `rwe runs show 12 --rejects`."""
    db = state.database()
    run = get_run(db, run_id)
    report = dict(run["report"] or {})
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    if not report:
        typer.echo(f"run {run_id}: {run['status']} ({run['message'] or 'no report'})")
    else:
        typer.echo(render(report))
    if rejects:
        for item in run_rejects(db, run_id):
            typer.echo(
                f"{item['source_file']}:{item['line']}  {item['resource_type'] or '-'}/"
                f"{item['resource_id'] or '-'}  {item['reason']}"
            )
