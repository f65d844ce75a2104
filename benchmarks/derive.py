"""Benchmark `rwe derive`: full build and a 1% nightly refresh on a 100,000-person cohort.

Builds the cohort directly in SQL (generate_series; about 10 M measurements) in a fresh
database on the embedded test server (or the server in RWE_DATABASE_URL), then times
`derive_all`, a refresh after a 1% increment, and shows the plan of the per-person
baseline-marker lookup. Run: `.venv/bin/python benchmarks/derive.py [--persons N]`.
Targets (issue #5): full build < 120 s, 1% refresh < 15 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from rwe.db.connection import Database
from rwe.db.embedded import start_embedded
from rwe.db.lifecycle import init_database
from rwe.db.sqlfiles import read_sql
from rwe.derive import derive_all, load_study_config, refresh
from rwe.derive.runner import _sql_params

CUTOFF = dt.date(2022, 12, 31)
# Index date of person p: spread over 2015-2019; every table below derives from it.
INDEX = "(DATE '2015-01-01' + (p * 37) % 1800)"

COHORT_SQL = [
    # PERSON and OBSERVATION_PERIOD
    """INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth, race_concept_id,
        ethnicity_concept_id)
      SELECT p, CASE WHEN p % 5 < 3 THEN 8532 ELSE 8507 END, 1935 + p % 40, 0, 0
      FROM generate_series(1, %(n)s) p""",
    f"""INSERT INTO cdm.observation_period (observation_period_id, person_id,
        observation_period_start_date, observation_period_end_date, period_type_concept_id)
      SELECT p, p, DATE '2010-01-01',
             CASE WHEN p % 3 = 0 THEN {INDEX} + 400 + p % 500 ELSE DATE '2022-12-31' END, 32817
      FROM generate_series(1, %(n)s) p""",
    f"""INSERT INTO cdm.death (person_id, death_date, death_type_concept_id)
      SELECT p, {INDEX} + 400 + p % 500, 32817 FROM generate_series(1, %(n)s) p WHERE p % 3 = 0""",
    # DRUG_EXPOSURE: 6 x 90-day fills with 5-day interruptions, a longer break before the
    # last one for some, a stop reason on the last segment for others.
    f"""INSERT INTO cdm.drug_exposure (drug_exposure_id, person_id, drug_concept_id,
        drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id, stop_reason,
        days_supply)
      SELECT p * 10 + k, p, 1363387,
             {INDEX} + k * 95 + CASE WHEN k = 5 AND p % 7 = 0 THEN 40 ELSE 0 END,
             {INDEX} + k * 95 + 90 + CASE WHEN k = 5 AND p % 7 = 0 THEN 40 ELSE 0 END,
             32838,
             CASE WHEN k = 5 THEN (ARRAY[NULL, 'progression', 'adverse-event', 'decision',
                                         'other'])[1 + p % 5] END,
             90
      FROM generate_series(1, %(n)s) p, generate_series(0, 5) k""",
    # CONDITION_OCCURRENCE: histology, metastases, 8 AEs, 10 recurring other conditions.
    f"""INSERT INTO cdm.condition_occurrence (condition_occurrence_id, person_id,
        condition_concept_id, condition_start_date, condition_end_date,
        condition_type_concept_id)
      SELECT p * 100 + j, p,
             CASE WHEN j = 0 THEN (ARRAY[4116228, 4111010, 37110332, 4111011, 4112985])[1 + p % 5]
                  WHEN j IN (1, 2) THEN (ARRAY[4312667, 2000000009, 2000000010])[1 + (p + j) % 3]
                  WHEN j < 11 THEN (ARRAY[316866, 196523, 140214, 442165, 4223659,
                                          2000000006, 2000000007, 140673])[j - 2]
                  ELSE (ARRAY[320128, 141933, 253506, 4119786, 75650])[1 + j % 5] END,
             CASE WHEN j < 3 THEN {INDEX} - 200 + j
                  WHEN j < 11 THEN {INDEX} + j * 20
                  ELSE {INDEX} - 500 + j * 37 END,
             CASE WHEN j >= 11 AND j % 2 = 0 THEN {INDEX} - 480 + j * 37 END,
             32817
      FROM generate_series(1, %(n)s) p, generate_series(0, 20) j""",
    # OBSERVATION: a CTCAE grade for each AE condition.
    """INSERT INTO cdm.observation (observation_id, person_id, observation_concept_id,
        observation_date, observation_type_concept_id, value_as_number, observation_event_id,
        obs_event_field_concept_id)
      SELECT p * 100 + j, p, 2000000005, DATE '2015-01-01', 32817, 1 + (p + j) % 4,
             p * 100 + j, 1147127
      FROM generate_series(1, %(n)s) p, generate_series(3, 10) j""",
    # MEASUREMENT: 10 blood draws x (5 CBC + 4 other labs), 6 RECIST, 6 SLD, ECOG, anti-Tg.
    # Units and absolute/percent differentials vary by person.
    f"""INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_datetime, measurement_type_concept_id, value_as_number,
        unit_concept_id)
      SELECT p * 1000 + k * 10 + a, p,
             CASE WHEN p % 5 = 0
                  THEN (ARRAY[3000905, 3037511, 3008342, 3011948, 3024929,
                              3000963, 3013682, 3016723, 3024128])[a]
                  ELSE (ARRAY[3000905, 3004327, 3013650, 3033575, 3024929,
                              3000963, 3013682, 3016723, 3024128])[a] END,
             {INDEX} - 25 + k * 30,
             ({INDEX} - 25 + k * 30) + TIME '08:00',
             32856,
             CASE WHEN p % 5 = 0 AND a BETWEEN 2 AND 4 THEN (ARRAY[22.0, 65.0, 8.0])[a - 1]
                  ELSE (ARRAY[6.5, 1.5, 4.0, 0.4, 230.0, 13.0, 1.0, 0.9, 5.0])[a]
                       * CASE WHEN p % 3 = 1 AND a <= 5 THEN 1000 ELSE 1 END END,
             CASE WHEN p % 5 = 0 AND a BETWEEN 2 AND 4 THEN 8554
                  WHEN a <= 5 THEN (ARRAY[8848, 8647, 9444])[1 + p % 3] ELSE 0 END
      FROM generate_series(1, %(n)s) p, generate_series(0, 9) k, generate_series(1, 9) a""",
    f"""INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_type_concept_id, value_as_number, value_as_concept_id)
      SELECT p * 1000 + 900 + k * 2 + s, p, CASE WHEN s = 0 THEN 2000000002 ELSE 2000000003 END,
             {INDEX} + k * 60 - CASE WHEN s = 1 AND k = 0 THEN 10 ELSE 0 END, 32817,
             CASE WHEN s = 1 THEN 100 - k * (p % 9) END,
             CASE WHEN s = 0 AND k > 0
                  THEN (ARRAY[2000000021, 2000000022, 2000000022, 2000000023])[1 + (p + k) % 4]
             END
      FROM generate_series(1, %(n)s) p, generate_series(0, 5) k, generate_series(0, 1) s""",
    f"""INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_type_concept_id, value_as_number, range_high)
      SELECT p * 1000 + 990 + s, p, (ARRAY[2000000001, 2000000004])[s + 1],
             {INDEX} - 7, 32817, CASE WHEN s = 0 THEN p % 3 ELSE p % 10 END,
             CASE WHEN s = 1 THEN 4 END
      FROM generate_series(1, %(n)s) p, generate_series(0, 1) s""",
]

# The nightly increment for 1% of persons: a new fill, a new blood draw on the day before the
# index (changes the baseline), a new RECIST assessment and a new condition.
INCREMENT_SQL = [
    f"""INSERT INTO cdm.drug_exposure (drug_exposure_id, person_id, drug_concept_id,
        drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id, days_supply)
      SELECT 10000000000 + p, p, 1363387, {INDEX} + 700, {INDEX} + 790, 32838, 90
      FROM generate_series(1, %(n)s) p WHERE p % 100 = 7""",
    f"""INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_datetime, measurement_type_concept_id, value_as_number,
        unit_concept_id)
      SELECT 10000000000 + p * 10 + a, p,
             (ARRAY[3000905, 3004327, 3013650, 3033575, 3024929, 2000000002])[a],
             {INDEX} - 1, ({INDEX} - 1) + TIME '09:00', 32856,
             (ARRAY[7.0, 1.2, 4.4, 0.5, 180.0, NULL])[a], 8848
      FROM generate_series(1, %(n)s) p, generate_series(1, 6) a WHERE p % 100 = 7""",
    f"""INSERT INTO cdm.condition_occurrence (condition_occurrence_id, person_id,
        condition_concept_id, condition_start_date, condition_type_concept_id)
      SELECT 10000000000 + p, p, 316866, {INDEX} + 45, 32817
      FROM generate_series(1, %(n)s) p WHERE p % 100 = 7""",
]


def create_database() -> Database:
    admin = os.environ.get("RWE_DATABASE_URL") or start_embedded(
        Path(os.environ.get("RWE_TEST_DATA_DIR", f"/tmp/rwe-test-{os.getuid()}")), "postgres"
    )
    name = f"rwe_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(url=make_conninfo(admin, dbname=name))
    init_database(db)
    return db


def run(db: Database, statements: list[str], persons: int) -> float:
    started = time.monotonic()
    with db.connect(autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        for statement in statements:
            conn.execute(statement.replace("%(n)s", str(persons)).encode())
        conn.execute("ANALYZE")
    return time.monotonic() - started


def baseline_plan(db: Database) -> str:
    """EXPLAIN of baseline_marker.sql's INSERT in refresh mode for the 1% of persons."""
    config = load_study_config()
    params = config.params.with_options(cutoff_date=CUTOFF)
    values = {**_sql_params({"cdm": "cdm", "rwe": "rwe", "study": "study"}, params, config,
                            CUTOFF), "full_or": ""}  # fmt: skip
    text = read_sql("derive/baseline_marker.sql", values)
    insert = text[text.index("\nINSERT INTO") :]
    with db.connect() as conn:  # closed without commit: nothing is kept
        conn.execute("CREATE TEMP TABLE derive_scope (person_id BIGINT PRIMARY KEY)")
        conn.execute("INSERT INTO derive_scope SELECT p FROM generate_series(7, 100000, 100) p")
        conn.execute("ANALYZE derive_scope")
        rows = conn.execute(("EXPLAIN " + insert).encode()).fetchall()
    return "\n".join(r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    args = parser.parse_args()
    db = create_database()
    load = run(db, COHORT_SQL, args.persons)
    with db.connect() as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM cdm.{t}").fetchone()[0]  # type: ignore[index]
            for t in ("person", "drug_exposure", "condition_occurrence", "measurement",
                      "observation")
        }  # fmt: skip
    print(f"cohort built in {load:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    params = load_study_config().params.with_options(cutoff_date=CUTOFF)
    full = derive_all(db, params)
    print(f"full build: {full.total_seconds:.1f} s (target < 120 s)")
    for name, seconds in full.seconds.items():
        print(f"  {name:26} {seconds:7.1f} s {full.rows[name]:>12,} rows")
    increment = run(db, INCREMENT_SQL, args.persons)
    print(f"1% increment loaded in {increment:.1f} s")
    nightly = refresh(db, params=params)
    print(
        f"refresh after the 1% increment: {nightly.total_seconds:.1f} s for "
        f"{nightly.persons_refreshed:,} persons, modes {nightly.mode} (target < 15 s)"
    )
    for name, seconds in nightly.seconds.items():
        print(f"  {name:26} {seconds:7.2f} s {nightly.rows[name]:>12,} rows")
    print("baseline-marker lookup plan (refresh of the 1%):")
    print(baseline_plan(db))
    if not args.keep:
        admin = make_conninfo(db.url, dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                    sql.Identifier(psycopg.conninfo.conninfo_to_dict(db.url)["dbname"])
                )
            )


if __name__ == "__main__":
    main()
