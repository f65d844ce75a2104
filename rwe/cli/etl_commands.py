"""`rwe etl SOURCE...`: load FHIR R4 into the OMOP CDM (a thin wrapper over rwe.etl.run)."""

from __future__ import annotations

from typing import Annotated

import typer

from rwe.cli import app
from rwe.cli.context import state
from rwe.cli.progress import byte_progress
from rwe.etl.report import render
from rwe.etl.run import EtlOptions, RejectRateError, run_etl
from rwe.nightly import after_load


@app.command("etl")
def etl(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Bulk-export folders or manifests, .ndjson/.ndjson.gz files, Bundle or "
            "resource .json files, or FHIR server base URLs (http/https)."
        ),
    ],
    max_reject_rate: Annotated[
        float,
        typer.Option(
            "--max-reject-rate",
            help="Fail (exit 3) and load nothing when more than this share of the resources "
            "read is rejected; the rejects are kept in the run for `rwe runs show`.",
        ),
    ] = 0.05,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running `rwe etl` instead of failing.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Server sources: only resources updated after this instant "
            "(default: the last successful run from that server).",
        ),
    ] = None,
    bulk_export: Annotated[
        bool,
        typer.Option("--bulk-export", help="Server sources: use Bulk Data $export, not search."),
    ] = False,
    token_env: Annotated[
        str,
        typer.Option("--token-env", help="Environment variable holding the server's bearer token."),
    ] = "RWE_FHIR_TOKEN",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Transform large NDJSON inputs in this many processes (not on a first"
            " load: it COPYs most labs directly, PostgreSQL using the second core).",
        ),
    ] = 1,
    derive: Annotated[
        bool,
        typer.Option("--derive/--no-derive", help="Refresh the derived tables after loading."),
    ] = True,
    gates: Annotated[
        bool,
        typer.Option(
            "--gates/--no-gates", help="Run the quality gates after deriving (exit 7 if fatal)."
        ),
    ] = True,
) -> None:
    """Load FHIR R4 resources into the OMOP CDM v5.4 tables, as one atomic run.

    Re-running unchanged input changes nothing; changed resources replace their rows, older
    ones are ignored, deleted ones are removed. Bad records go to the run's rejects.

    Example: `rwe etl exports/2024-06-01/ --max-reject-rate 0.01` (nightly:
    `15 2 * * * rwe etl /data/fhir/latest --wait >> /var/log/rwe-etl.log 2>&1`).
    """
    options = EtlOptions(
        max_reject_rate=max_reject_rate,
        wait=wait,
        since=since,
        bulk_export=bulk_export,
        token_env=token_env,
        workers=workers,
    )
    db = state.database()
    try:
        with byte_progress("etl") as progress:
            report = run_etl(db, sources, options, progress)
    except RejectRateError as exc:
        typer.echo(render(exc.report))
        raise
    typer.echo(render(report))
    if derive:
        # The last steps of a load: refresh the derived tables, then the quality gates; a
        # fatal gate marks the run gate_failed and exits 7 (the data stay loaded).
        post = after_load(db, int(report["run_id"]), checks_file=None, run_gates=gates)
        typer.echo(post.line())
