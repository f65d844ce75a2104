"""A run is atomic: readers see the previous state during it, a run killed mid-load leaves the
previous state and the next run completes; a second concurrent run fails at once (or waits)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rwe.db.connection import Database
from rwe.errors import ExitCode, LockedError
from rwe.etl.load import SWITCH_INTERVAL
from rwe.etl.pipeline import Pipeline
from rwe.etl.run import ETL_LOCK, EtlOptions, run_etl
from tests.etl.helpers import checksums, etl, rows, write_ndjson
from tests.etl.test_cli import rwe
from tests.etl.test_nightly import patient, wbc

RWE = str(Path(sys.executable).with_name("rwe"))


def big_export(folder: Path, patients: int = 400, per_patient: int = 100) -> Path:
    write_ndjson(folder / "Patient.ndjson", [patient(f"p{i}") for i in range(patients)])
    write_ndjson(
        folder / "Observation.ndjson",
        [wbc(f"o{i}-{j}", f"p{i}", float(j)) for i in range(patients) for j in range(per_patient)],
    )
    return folder


@pytest.mark.slow
def test_killed_run_leaves_previous_state_and_next_run_completes(
    database: Database, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    write_ndjson(small / "Patient.ndjson", [patient("p0")])
    write_ndjson(small / "Observation.ndjson", [wbc("o0-0", "p0", 42.0)])
    etl(database, small)
    before = checksums(database)
    big = big_export(tmp_path / "big")
    env = {**os.environ, "RWE_DATABASE_URL": database.url}
    proc = subprocess.Popen(
        [RWE, "etl", str(big)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if rows(database, "SELECT count(*) FROM rwe.run WHERE status = 'running'")[0][0]:
                break
            time.sleep(0.05)
        time.sleep(1.0)  # now inside the load
        assert proc.poll() is None, "the run finished before it could be killed: grow the input"
        assert checksums(database) == before  # readers see the previous state during the run
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    assert checksums(database) == before
    report = etl(database, big)
    assert report["resources"]["Observation"]["loaded"] == 40_000
    assert rows(database, "SELECT status, left(message, 11) FROM rwe.run ORDER BY run_id") == [
        ("succeeded", None),
        ("failed", "interrupted"),
        ("succeeded", None),
    ]


def test_concurrent_run_fails_at_once_with_a_clear_message(
    database: Database, tmp_path: Path
) -> None:
    src = write_ndjson(tmp_path / "p.ndjson", [patient("p1")])
    with psycopg.connect(database.url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ETL_LOCK,))  # "another run"
        started = time.monotonic()
        with pytest.raises(LockedError):
            run_etl(database, [str(src)], EtlOptions())
        assert time.monotonic() - started < 5
        result = rwe("etl", str(src), env={"RWE_DATABASE_URL": database.url})
        assert result.returncode == ExitCode.LOCKED
        assert result.stderr.strip() == (
            "Error: another `rwe etl` run is loading this database. Wait for it to finish "
            "(`rwe runs`), or pass --wait to queue behind it."
        )


def test_wait_queues_behind_the_running_run(database: Database, tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "p.ndjson", [patient("p1")])
    holder = psycopg.connect(database.url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (ETL_LOCK,))
    timer = threading.Timer(1.0, holder.close)  # the other run ends after a second
    timer.start()
    try:
        report = run_etl(database, [str(src)], EtlOptions(wait=True))
    finally:
        timer.cancel()
        holder.close()
    assert report["loaded"] == 1


def test_gil_switch_interval_is_short_while_reading_and_restored_after(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer thread gets the GIL often while a run reads (rwe.etl.load.SWITCH_INTERVAL);
    the process's own setting comes back after the run, also after a failed one."""
    seen: list[float] = []
    process = Pipeline.process

    def spy(self: Pipeline, batch: Any, file_no: int) -> None:
        seen.append(sys.getswitchinterval())
        process(self, batch, file_no)

    monkeypatch.setattr(Pipeline, "process", spy)
    folder = big_export(tmp_path / "in", patients=3, per_patient=2)
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL  # Python's default, 5 ms
    etl(database, folder)
    assert seen and set(seen) == {min(before, SWITCH_INTERVAL)}
    assert sys.getswitchinterval() == before

    def fail(self: Pipeline, batch: Any, file_no: int) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Pipeline, "process", fail)
    with pytest.raises(RuntimeError, match="boom"):
        etl(database, folder)
    assert sys.getswitchinterval() == before
