"""`rwe db ...`: create, upgrade, inspect and stop the database."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from rwe.cli import app
from rwe.cli.context import state
from rwe.db.embedded import pgdata_dir, stop_embedded
from rwe.db.lifecycle import init_database, upgrade_database
from rwe.db.status import database_status

db_app = typer.Typer(help="Create, upgrade, inspect and stop rwe's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
out = Console()


@db_app.command("init")
def db_init() -> None:
    """Create the OMOP CDM v5.4 schema, rwe's bookkeeping schema and the seed vocabulary.

    Safe to run again: a second run changes nothing. Example: `rwe db init`.
    """
    settings = state.settings()
    db = state.database()
    source_name = str(settings.extra.get("cdm_source", {}).get("name", "rwe"))
    result = init_database(db, source_name=source_name)
    if not result.changed:
        out.print(f"Database at {db.display_url} is up to date; nothing changed.")
        return
    for name in result.migrations:
        out.print(f"applied migration {name}")
    if result.seed_concepts:
        out.print(f"loaded the built-in seed vocabulary: {result.seed_concepts} concepts")
    out.print(f"Database ready at {db.display_url} (schemas {db.cdm_schema}, {db.rwe_schema}).")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations. Example: `rwe db upgrade`."""
    db = state.database()
    applied = upgrade_database(db)
    if not applied:
        out.print("Schema is current; nothing to upgrade.")
    for name in applied:
        out.print(f"applied migration {name}")


@db_app.command("status")
def db_status() -> None:
    """Server, versions, schema version, row counts per table, vocabulary release.

    Example: `rwe db status`.
    """
    settings = state.settings()
    st = database_status(state.database())
    where = (
        f"embedded server, data in {pgdata_dir(settings.data_dir)}"
        if st.embedded
        else f"from {settings.source}"
    )
    out.print(f"database:    {st.url} ({where})")
    out.print(f"server:      PostgreSQL {st.server_version}")
    out.print(f"rwe:         {st.rwe_version}, OMOP CDM {st.cdm_version}")
    out.print(f"schema:      {st.schema_state}")
    if st.vocabulary:
        v = st.vocabulary
        out.print(
            f"vocabulary:  {v['vocabulary_version']} ({v['concept_count']} concepts, "
            f"from {v['source']}, loaded {v['loaded_at']:%Y-%m-%d %H:%M})"
        )
    else:
        out.print("vocabulary:  none loaded")
    if st.row_counts:
        table = Table("table", "rows", title=f"rows in schema {state.settings().cdm_schema}")
        for name, count in st.row_counts.items():
            table.add_row(name, f"{count:,}")
        out.print(table)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (it starts again on the next command).

    Example: `rwe db stop`.
    """
    settings = state.settings()
    if not settings.embedded:
        out.print(
            f"Not using the embedded server (database from {settings.source}); nothing to stop."
        )
        return
    if stop_embedded(settings.data_dir):
        out.print(f"Stopped the embedded server in {pgdata_dir(settings.data_dir)}.")
    else:
        out.print("The embedded server was not running.")
