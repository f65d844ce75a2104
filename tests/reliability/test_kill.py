"""`python -m rwe etl` killed with SIGKILL at 20+ points of a nightly load: the database keeps
the previous state (readers never see a half-load), and the rerun equals an uninterrupted load
(per-table checksums, OMOP ids included).

The points are deterministic: the test-only hook in hook/ (put on PYTHONPATH, no product code
involved) numbers every database step of the process (statement, COPY, commit, just after the
commit); an uninterrupted traced run gives the steps, and the kills spread over them."""

from __future__ import annotations

from pathlib import Path

from rwe.db.connection import Database
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize
from rwe.synth.increment import IncrementConfig
from tests.reliability.state import Reader, checksums, clone, rows, rwe_etl, totals

KILL_POINTS = 22  # spread over the run's database steps, plus the commit and just after it


def kill_points(labels: list[str]) -> list[int]:
    """Step numbers (1-based) to kill at: evenly spread, always the commit and after it."""
    n = len(labels)
    points = {round(1 + i * (n - 1) / (KILL_POINTS - 1)) for i in range(KILL_POINTS)}
    points |= {i + 1 for i, label in enumerate(labels) if label in ("COMMIT", "(committed)")}
    return sorted(p for p in points if 1 <= p <= n)


def test_sigkill_at_spread_points_then_rerun_equals_uninterrupted_load(
    database: Database, admin_url: str, tmp_path: Path
) -> None:
    base, night = tmp_path / "base", tmp_path / "night"
    # 60 days later: new Encounters, Conditions and Observations, amendments and deletions
    increment = IncrementConfig(days=60)
    synthesize(base, SynthOptions(patients=12, seed=7, increment_dir=night, increment=increment))
    run_etl(database, [str(base)], EtlOptions())
    old, old_totals = checksums(database), totals(database)

    trace = tmp_path / "steps.tsv"
    with clone(admin_url, database) as reference:
        with Reader(reference) as reader:
            done = rwe_etl(reference, str(night), step_env={"RWE_TEST_STEP_TRACE": str(trace)})
        assert done.returncode == 0, done.stderr
        new, new_totals = checksums(reference), totals(reference)
    assert new != old and new_totals != old_totals  # the night changes something
    assert reader.polls > 0 and reader.seen <= {old_totals, new_totals}
    labels = [line.split("\t", 1)[1] for line in trace.read_text().splitlines()]
    commit = labels.index("COMMIT") + 1  # the run's one commit (the side connection autocommits)
    assert labels.count("COMMIT") == 1, labels

    points = kill_points(labels)
    assert len(points) >= 20
    for at in points:
        where = f"killed before step {at}/{len(labels)} ({labels[at - 1]})"
        with clone(admin_url, database) as db:
            with Reader(db) as reader:
                killed = rwe_etl(db, str(night), step_env={"RWE_TEST_STEP_AT": str(at)})
            assert killed.returncode == -9, f"{where}: {killed.stderr[-2000:]}"
            assert checksums(db) == (old if at <= commit else new), where
            assert reader.seen <= {old_totals, new_totals}, where
            run_etl(db, [str(night)], EtlOptions())
            assert checksums(db) == new, where
            statuses = rows(db, "SELECT status, left(message, 11) FROM rwe.run ORDER BY run_id")
            assert ("running", None) not in statuses, where
            if at <= commit and rows(db, "SELECT count(*) FROM rwe.run") != [(2,)]:
                assert statuses[1] == ("failed", "interrupted"), where
