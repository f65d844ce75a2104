"""`rwe vocab load`: replace the vocabulary with an OHDSI Athena release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rwe.cli import app
from rwe.cli.context import state
from rwe.cli.progress import byte_progress
from rwe.db.connection import Database
from rwe.db.migrate import require_schema
from rwe.db.vocabulary import load_release

vocab_app = typer.Typer(help="Load OMOP vocabularies.", no_args_is_help=True)
app.add_typer(vocab_app, name="vocab")
out = Console()


@vocab_app.command("load")
def vocab_load(
    path: Annotated[Path, typer.Argument(help="Athena download: a folder or a zip of its files.")],
) -> None:
    """Replace the vocabulary with an Athena release (tab- or comma-delimited), atomically.

    Example: `rwe vocab load ~/Downloads/vocabulary_download_v5.zip`.
    """
    db = state.database()
    _require(db)
    with byte_progress("loading vocabulary") as progress:
        summary = load_release(db, path, progress)
    counts = ", ".join(f"{t} {n:,}" for t, n in summary.rows.items())
    out.print(f"Loaded vocabulary {summary.version} from {summary.source}: {counts}.")


def _require(db: Database) -> None:
    with db.connect() as conn:
        require_schema(conn, db)
