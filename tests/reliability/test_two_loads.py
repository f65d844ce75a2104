"""Two loads at once: the second refuses at once with the documented message (exit 8); the first
completes and nothing is loaded twice."""

from __future__ import annotations

import time
from pathlib import Path

from rwe.db.connection import Database
from rwe.errors import ExitCode
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize
from tests.reliability.state import checksums, clone, paused_etl, rows, rwe_etl

LOCKED = (
    "Error: another `rwe etl` run is loading this database. Wait for it to finish "
    "(`rwe runs`), or pass --wait to queue behind it."
)


def test_second_load_refuses_while_the_first_holds_the_lock(
    database: Database, admin_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    synthesize(export, SynthOptions(patients=6, seed=3))
    with clone(admin_url, database) as reference:
        run_etl(reference, [str(export)], EtlOptions())
        expected = checksums(reference)

    pause = tmp_path / "paused"
    # the first run holds the lock, mid-staging
    first = paused_etl(database, export, "COPY", pause)
    try:
        started = time.monotonic()
        second = rwe_etl(database, str(export))
        assert second.returncode == ExitCode.LOCKED
        assert second.stderr.strip() == LOCKED
        assert second.stdout == ""
        assert time.monotonic() - started < 30  # refused at once, not queued
        pause.unlink()
        _, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert checksums(database) == expected  # nothing doubled
    assert rows(database, "SELECT status FROM rwe.run ORDER BY run_id") == [("succeeded",)]
