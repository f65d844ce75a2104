"""`rwe derive`: eras and the sorafenib study tables from the loaded CDM."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

import typer
from rich.console import Console

from rwe.cli import app
from rwe.cli.context import state
from rwe.derive import derive_all, load_study_config, refresh
from rwe.errors import BadInputError

out = Console()
log = logging.getLogger("rwe")


@app.command("derive")
def derive(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild everything instead of refreshing changes.")
    ] = False,
    cutoff: Annotated[
        str | None,
        typer.Option("--cutoff", help="Data cutoff YYYY-MM-DD (default: latest date in data)."),
    ] = None,
    persistence_window: Annotated[
        int | None, typer.Option("--persistence-window", help="Episode gap in days (30).")
    ] = None,
    baseline_window: Annotated[
        int | None, typer.Option("--baseline-window", help="Blood-count window in days (30).")
    ] = None,
    ingredient: Annotated[
        int | None, typer.Option("--ingredient", help="Ingredient concept id (1363387).")
    ] = None,
) -> None:
    """Build DRUG_ERA, CONDITION_ERA and the study tables (schema `study`).

    Without --full, re-derives only persons whose CDM rows changed since the last run (a
    changed option, cutoff or vocabulary rebuilds what it affects). Example:
    `rwe derive --cutoff 2021-05-31`.
    """
    config = load_study_config()
    params = config.params.with_options(
        cutoff_date=_parse_date(cutoff),
        persistence_window_days=persistence_window,
        baseline_window_days=baseline_window,
        ingredient_concept_id=ingredient,
    )
    db = state.database()
    summary = (derive_all if full else refresh)(db, params=params, config=config)
    for reason in summary.reasons:
        log.info("full build of %s", reason)
    scope = (
        "all persons"
        if summary.persons_refreshed is None
        else (f"{summary.persons_refreshed} changed persons")
    )
    out.print(
        f"derived ({', '.join(f'{k} {v}' for k, v in summary.mode.items())}; {scope}; "
        f"cutoff {summary.cutoff_date}) in {summary.total_seconds:.1f} s"
    )
    for name, rows in summary.rows.items():
        out.print(f"  {name}: {rows:,} rows written in {summary.seconds[name]:.1f} s")


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise BadInputError(f"--cutoff {text!r} is not a date", "Write it as YYYY-MM-DD.") from exc
