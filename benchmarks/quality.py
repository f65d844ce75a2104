"""Benchmark: time `run_gates` on a 100,000-patient CDM (~10 M measurements) built in SQL.

Usage: `.venv/bin/python benchmarks/quality.py [--persons 100000] [--per-person 100]
[--keep] [--url URL]`. Without --url it creates a database on the embedded test server
(RWE_TEST_DATA_DIR, default /tmp/rwe-test-$UID). Not a timed test: the target is < 5 minutes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rwe.db.connection import Database
from rwe.db.lifecycle import init_database
from rwe.quality import run_gates

LABS = [  # (concept, unit, low, high) plausible values for the synthetic rows
    (3000905, 8848, 3, 11), (3004327, 8848, 0.8, 4), (3013650, 8848, 1.5, 8),
    (3033575, 8848, 0.2, 1), (3024929, 8848, 150, 450), (3037511, 8554, 15, 45),
    (3008342, 8554, 40, 75), (3011948, 8554, 2, 10),
]  # fmt: skip


def build(db: Database, persons: int, per_person: int) -> None:
    """PERSON, OBSERVATION_PERIOD, VISIT, CONDITION, DRUG, PROCEDURE, OBSERVATION, DEATH and
    `persons * per_person` MEASUREMENT rows, all in SQL (generate_series)."""
    labs = ", ".join(f"({i}, {c}, {u}, {lo}, {hi})" for i, (c, u, lo, hi) in enumerate(LABS))
    steps = [
        f"""INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth, race_concept_id,
            ethnicity_concept_id) SELECT g, CASE WHEN g % 2 = 0 THEN 8507 ELSE 8532 END,
            1930 + g % 60, 8527, 38003564 FROM generate_series(1, {persons}) g""",
        f"""INSERT INTO cdm.observation_period SELECT g, g, '2010-01-01', '2023-12-31', 32882
            FROM generate_series(1, {persons}) g""",
        # 10 visits per person, one every 30 days from 2015
        f"""INSERT INTO cdm.visit_occurrence (visit_occurrence_id, person_id, visit_concept_id,
            visit_start_date, visit_end_date, visit_type_concept_id)
            SELECT (p - 1) * 10 + v, p, 9202, DATE '2015-01-01' + (p % 300) + v * 30,
                   DATE '2015-01-01' + (p % 300) + v * 30, 32817
            FROM generate_series(1, {persons}) p, generate_series(1, 10) v""",
        f"""INSERT INTO cdm.condition_occurrence (condition_occurrence_id, person_id,
            condition_concept_id, condition_start_date, condition_type_concept_id,
            visit_occurrence_id)
            SELECT (p - 1) * 3 + k, p, 4116228, DATE '2015-01-01' + (p % 300) + k * 30, 32817,
                   (p - 1) * 10 + k
            FROM generate_series(1, {persons}) p, generate_series(1, 3) k""",
        f"""INSERT INTO cdm.drug_exposure (drug_exposure_id, person_id, drug_concept_id,
            drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id,
            visit_occurrence_id, stop_reason)
            SELECT (p - 1) * 5 + k, p, 1363387, DATE '2015-01-01' + (p % 300) + k * 30,
                   DATE '2015-01-01' + (p % 300) + k * 30 + 29, 32838, (p - 1) * 10 + k,
                   CASE WHEN k = 5 THEN 'progression' END
            FROM generate_series(1, {persons}) p, generate_series(1, 5) k""",
        f"""INSERT INTO cdm.procedure_occurrence (procedure_occurrence_id, person_id,
            procedure_concept_id, procedure_date, procedure_type_concept_id, visit_occurrence_id)
            SELECT p, p, 0, DATE '2015-01-01' + (p % 300) + 30, 32817, (p - 1) * 10 + 1
            FROM generate_series(1, {persons}) p""",
        f"""INSERT INTO cdm.observation (observation_id, person_id, observation_concept_id,
            observation_date, observation_type_concept_id, visit_occurrence_id)
            SELECT p, p, 4229881, DATE '2015-01-01' + (p % 300) + 30, 32817, (p - 1) * 10 + 1
            FROM generate_series(1, {persons}) p""",
        f"""INSERT INTO cdm.death (person_id, death_date)
            SELECT p, DATE '2023-01-01' FROM generate_series(1, {persons}, 10) p""",
        # per person `per_person` lab results spread over its 10 visits (~10 M rows in total)
        f"""INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,
            measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id,
            visit_occurrence_id)
            SELECT (p - 1) * {per_person} + k, p, lab.concept, DATE '2015-01-01' + (p % 300)
                   + (1 + k % 10) * 30, 32856, lab.lo + (lab.hi - lab.lo) * ((p * k) % 97) / 97.0,
                   lab.unit, (p - 1) * 10 + 1 + k % 10
            FROM generate_series(1, {persons}) p, generate_series(1, {per_person}) k
            JOIN (VALUES {labs}) AS lab (i, concept, unit, lo, hi) ON lab.i = k % {len(LABS)}""",
    ]
    with db.connect(autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no other stages' triggers
        conn.execute("SET maintenance_work_mem = '512MB'")
        for step in steps:
            t0 = time.monotonic()
            conn.execute(step.encode())
            print(f"  {step.split()[2]:<28} {time.monotonic() - t0:6.1f} s", file=sys.stderr)
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--per-person", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--url", help="An existing, loaded rwe database: only time the gates.")
    parser.add_argument("--docs", type=Path, help="Also write Data Docs here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if args.url:
        db, admin, name = Database(url=args.url), None, None
    else:
        from rwe.db.embedded import start_embedded

        data_dir = Path(os.environ.get("RWE_TEST_DATA_DIR", f"/tmp/rwe-test-{os.getuid()}"))
        admin = start_embedded(data_dir, "postgres")
        name = f"rwe_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db = Database(url=make_conninfo(admin, dbname=name))
        init_database(db)
        t0 = time.monotonic()
        build(db, args.persons, args.per_person)
        print(f"built {args.persons:,} persons in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    try:
        t0 = time.monotonic()
        report = run_gates(db, docs_dir=args.docs, progress=lambda m: print(m, file=sys.stderr))
        elapsed = time.monotonic() - t0
        with db.connect() as conn:
            row = conn.execute("SELECT count(*) FROM cdm.measurement").fetchone()
        print(f"measurement rows: {row[0] if row else 0:,}")
        print(
            f"run_gates: {elapsed:.1f} s for {len(report.results)} checks "
            f"({report.count('Passed')} passed, {report.count('Failed')} failed, "
            f"{report.count('Not applicable')} not applicable, {report.count('Error')} errors); "
            f"great-expectations checkpoint {report.timings['great_expectations_seconds']:.1f} s"
        )
        for r in report.results:
            if r.status in ("Failed", "Error"):
                print(f"  {r.status}: {r.check_id} {r.pct_violated_rows} {r.error or ''}")
    finally:
        if admin and name and not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        elif name:
            print(f"kept database {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
