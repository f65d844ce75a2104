"""`rwe synth`: write a synthetic FHIR bulk export with its ground truth."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from rwe.cli import app
from rwe.synth import (
    PRESETS,
    CohortConfig,
    IncrementConfig,
    MessConfig,
    SynthOptions,
    synthesize,
)

log = logging.getLogger("rwe")
HEARTBEAT_SECONDS = 60.0
_PRESETS = ", ".join(sorted(PRESETS))
_MESS = "Mess (rate 0-1)"


def _rate(help_text: str) -> Any:
    return typer.Option(help=help_text, min=0.0, max=1.0, rich_help_panel=_MESS)


@app.command("synth")
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Directory for the export (new or empty).")],
    preset: Annotated[str, typer.Option(help=f"Study preset: {_PRESETS}.")] = "dtc-2021",
    patients: Annotated[
        int | None, typer.Option(help="Patients (default: the preset's published cohort).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .ndjson.gz files.")] = False,
    bundles: Annotated[
        bool, typer.Option("--bundles", help="Also one transaction Bundle per patient.")
    ] = False,
    increment: Annotated[
        Path | None, typer.Option(help="Also write the next-night export (changes) here.")
    ] = None,
    increment_days: Annotated[
        int, typer.Option(help="Days between the export and its increment.")
    ] = IncrementConfig.days,
    update_rate: Annotated[
        float, typer.Option(help="Increment: share of on-treatment labs amended.", min=0, max=1)
    ] = IncrementConfig.update_rate,
    delete_rate: Annotated[
        float, typer.Option(help="Increment: share of on-treatment labs deleted.", min=0, max=1)
    ] = IncrementConfig.delete_rate,
    clean: Annotated[
        bool, typer.Option("--clean", help="No mess: all mess rates 0.", rich_help_panel=_MESS)
    ] = False,
    unit_rate: Annotated[float | None, _rate("Counts in 10*9/L or /uL. [default: 0.2]")] = None,
    percent_rate: Annotated[
        float | None, _rate("Differential counts as % with a same-draw WBC. [default: 0.1]")
    ] = None,
    absent_rate: Annotated[
        float | None, _rate("Lab values missing (dataAbsentReason). [default: 0.02]")
    ] = None,
    error_rate: Annotated[
        float | None, _rate("Extra entered-in-error records. [default: 0.01]")
    ] = None,
    cancel_rate: Annotated[
        float | None, _rate("Extra cancelled / not-taken records. [default: 0.01]")
    ] = None,
    duplicate_rate: Annotated[
        float | None, _rate("Same id again later with newer lastUpdated. [default: 0.01]")
    ] = None,
    partial_birth_rate: Annotated[
        float | None, _rate("birthDate as YYYY or YYYY-MM. [default: 0.1]")
    ] = None,
    tz_rate: Annotated[
        float | None, _rate("Patients with non-UTC offsets on datetimes. [default: 0.3]")
    ] = None,
    no_baseline_rate: Annotated[
        float,
        typer.Option(help="Patients without a CBC in the 30 days before index.", min=0, max=1),
    ] = CohortConfig.no_baseline_rate,
    short_course_rate: Annotated[
        float, typer.Option(help="Patients treated < 30 days (study exclusion).", min=0, max=1)
    ] = CohortConfig.short_course_rate,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier synth export in OUT_DIR.")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Processes (same bytes whatever the number).", min=1, max=256)
    ] = 1,
) -> None:
    """Write a synthetic FHIR R4 bulk export of a sorafenib cohort, with its ground truth.

    OUT_DIR gets one NDJSON file per resource type, manifest.json, truth.json, patients.csv.

    Example: `rwe synth demo-export --preset dtc-2021 --patients 500 --seed 1`.
    """
    mess = MessConfig.clean() if clean else MessConfig()
    given = {
        "unit_rate": unit_rate, "percent_rate": percent_rate, "absent_rate": absent_rate,
        "error_rate": error_rate, "cancel_rate": cancel_rate, "duplicate_rate": duplicate_rate,
        "partial_birth_rate": partial_birth_rate, "tz_rate": tz_rate,
    }  # fmt: skip
    assert set(given) == {f.name for f in fields(MessConfig)}
    mess = replace(mess, **{k: v for k, v in given.items() if v is not None})
    options = SynthOptions(
        preset=preset,
        patients=patients,
        seed=seed,
        gzip=gzip,
        bundles=bundles,
        overwrite=overwrite,
        mess=mess,
        cohort=CohortConfig(no_baseline_rate, short_course_rate),
        increment_dir=increment,
        increment=IncrementConfig(increment_days, update_rate, delete_rate),
        workers=workers,
    )
    with _patient_progress() as progress:
        result = synthesize(out_dir, options, progress)
    counts = ", ".join(f"{t} {n:,}" for t, n in result.resources.items())
    typer.echo(f"Wrote {sum(result.resources.values()):,} resources for {result.patients:,} "
               f"patients to {out_dir} ({counts}).")  # fmt: skip
    typer.echo(f"Truth: {out_dir / 'truth.json'}, {out_dir / 'patients.csv'}.")
    if result.increment_dir is not None:
        changed = sum(result.increment_resources.values())
        typer.echo(f"Increment: {changed:,} new or updated resources and {result.deleted:,} "
                   f"deletions in {result.increment_dir}.")  # fmt: skip


@contextmanager
def _patient_progress() -> Iterator[Callable[[int, int], None]]:
    """A rich bar on a terminal; a heartbeat log line every minute otherwise."""
    if not sys.stderr.isatty():
        last = [time.monotonic()]

        def heartbeat(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= HEARTBEAT_SECONDS:
                last[0] = now
                log.info("synth: %d of %d patients", done, total)

        yield heartbeat
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("synth", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
