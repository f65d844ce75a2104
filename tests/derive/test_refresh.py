"""Incremental refresh: changed persons only, and the same tables as a full rebuild."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys

from rwe.db.connection import Database
from rwe.derive import derive_all, load_study_config, refresh
from rwe.errors import ExitCode
from tests.derive.rows import Cdm

TABLES = {
    "cdm.drug_era": "person_id, drug_concept_id, drug_era_start_date, drug_era_end_date,"
    " drug_exposure_count, gap_days",
    "cdm.condition_era": "person_id, condition_concept_id, condition_era_start_date,"
    " condition_era_end_date, condition_occurrence_count",
    "study.sorafenib_episode": "*",
    "study.baseline_marker": "*",
    "study.sorafenib_response": "*",
    "study.sorafenib_outcome": "*",
    "study.sorafenib_adverse_event": "*",
    "study.sorafenib_characteristic": "*",
}
CUTOFF = dt.date(2022, 6, 30)


def snapshot(cdm: Cdm) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(cdm.rows(f"SELECT {cols} FROM {t}")) for t, cols in TABLES.items()}


def add_person(cdm: Cdm, rng: random.Random, person_id: int) -> None:
    cdm.person(person_id, year=rng.randint(1940, 1970))
    cdm.observation_period(person_id, "2018-01-01", "2022-06-30")
    day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
    index = day
    for _ in range(rng.randint(1, 4)):
        end = day + dt.timedelta(days=rng.randint(10, 120))
        cdm.exposure(person_id, day.isoformat(), end.isoformat(), stop_reason=None)
        day = end + dt.timedelta(days=rng.randint(1, 60))
    for back in (0, 10, 31):
        when = (index - dt.timedelta(days=back)).isoformat() + " 08:00"
        for concept in (3004327, 3013650, 3033575, 3024929):
            cdm.measurement(person_id, concept, when, rng.uniform(0.3, 5.0), 8848)
    cdm.measurement(person_id, 2000000002, (index + dt.timedelta(days=90)).isoformat(),
                    value_concept=rng.choice([2000000021, 2000000022, 2000000023]))  # fmt: skip
    cdm.condition(person_id, 316866, (index + dt.timedelta(days=20)).isoformat())
    cdm.condition(person_id, 4116228, "2015-01-01")


def test_refresh_touches_changed_persons_and_equals_a_full_rebuild(
    cdm: Cdm, database: Database
) -> None:
    rng = random.Random(7)
    params = load_study_config().params.with_options(cutoff_date=CUTOFF)
    for person_id in range(1, 31):
        add_person(cdm, rng, person_id)
    first = derive_all(database, params)
    assert first.mode == {"cdm": "full", "study": "full"}
    # A nightly load: new rows for some persons, a new person, a deletion, an update.
    cdm.exposure(3, "2021-09-01", "2021-12-01", stop_reason="progression")
    cdm.measurement(5, 2000000002, "2021-12-01", value_concept=2000000023)
    cdm.death(7, "2021-11-11")
    add_person(cdm, rng, 31)
    cdm.conn.execute("DELETE FROM cdm.condition_occurrence WHERE person_id = 9")
    cdm.conn.execute(
        "UPDATE cdm.drug_exposure SET drug_exposure_end_date = drug_exposure_end_date + 45"
        " WHERE person_id = 11"
    )
    # A row moved to another person: the one it left and the one it joined.
    cdm.conn.execute(
        "UPDATE cdm.measurement SET person_id = 15"
        " WHERE person_id = 13 AND measurement_concept_id = 2000000002"
    )
    summary = refresh(database, params=params)
    assert summary.mode == {"cdm": "refresh", "study": "refresh"}
    assert summary.persons_refreshed == 8  # persons 3, 5, 7, 9, 11, 13, 15, 31
    refreshed = snapshot(cdm)
    derive_all(database, params)
    assert refreshed == snapshot(cdm)
    # Nothing changed since: an empty refresh.
    assert refresh(database, params=params).persons_refreshed == 0


def test_a_changed_cutoff_or_a_truncate_rebuilds_in_full(cdm: Cdm, database: Database) -> None:
    add_person(cdm, random.Random(1), 1)
    params = load_study_config().params.with_options(cutoff_date=CUTOFF)
    derive_all(database, params)
    moved = refresh(database, params=params.with_options(cutoff_date=dt.date(2021, 12, 31)))
    assert moved.mode == {"cdm": "refresh", "study": "full"}
    cdm.conn.execute("TRUNCATE cdm.death")
    truncated = refresh(database, params=params)
    assert truncated.mode == {"cdm": "full", "study": "full"}
    assert truncated.reasons[0] == "cdm: source table(s) truncated: death"
    assert refresh(database, [1], params=params).persons_refreshed == 1


def rwe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rwe", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_derive_full_then_refresh(cli_env: Database) -> None:
    cdm = Cdm(cli_env)
    add_person(cdm, random.Random(2), 1)
    cdm.close()
    result = rwe("derive", "--full", "--cutoff", "2022-06-30")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "derived (cdm full, study full; all persons; cutoff 2022-06-30)" in out
    assert "sorafenib_outcome: 1 rows written" in out
    result = rwe("derive", "--cutoff", "2022-06-30")
    assert result.returncode == 0, result.stderr
    assert "cdm refresh, study refresh; 0 changed persons" in " ".join(result.stdout.split())
    result = rwe("derive", "--cutoff", "31/05/2021")
    assert result.returncode == ExitCode.BAD_INPUT
    assert result.stderr.strip() == (
        "Error: --cutoff '31/05/2021' is not a date. Write it as YYYY-MM-DD."
    )
