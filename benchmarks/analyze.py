"""Benchmark `rwe analyze sorafenib` on a 100,000-patient analysis set.

Fills the derived study tables (schema `study`, created by `rwe derive`'s DDL) directly in SQL
with a seeded random cohort, then times `analyze_sorafenib` end to end: reading the analysis
set, Tables I-III, efficacy, every Kaplan-Meier curve, log-rank test and Cox model, the
figures and the report files. Target (issue #7): under 60 s on this 2-core machine.
Run: `.venv/bin/python benchmarks/analyze.py [--persons N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from etl_throughput import drop_database
from psycopg import sql
from psycopg.conninfo import make_conninfo

from rwe.db.connection import Database
from rwe.db.embedded import start_embedded
from rwe.db.lifecycle import init_database
from rwe.derive import derive_all, load_study_config
from rwe.study.options import SorafenibOptions
from rwe.study.sorafenib import analyze_sorafenib

CUTOFF = dt.date(2022, 12, 31)
FILL = [
    "SELECT setseed(0.42)",
    """INSERT INTO study.sorafenib_outcome
       SELECT p, DATE '2015-01-01' + p %% 1800, %(cutoff)s, 30 + p %% 900, p %% 20 <> 0,
              CASE WHEN p %% 20 = 0 THEN 'treated fewer than 30 days' END,
              DATE '2015-01-01' + p %% 1800 + 300, p %% 4 = 0,
              (ARRAY['progression', 'adverse-event', 'decision', 'death', 'other'])[1 + p %% 5],
              1 + (random() * 1500)::int, (random() < 0.7)::int,
              1 + (random() * 1200)::int, (random() < 0.6)::int, NULL,
              1 + (random() * 2500)::int, (random() < 0.5)::int, NULL, %(cutoff)s
       FROM generate_series(1, %(n)s) p""",
    """INSERT INTO study.baseline_marker
       SELECT p, DATE '2015-01-01' + p %% 1800, NULL, NULL, 3, true, 1,
              6000, a, n, m, pl, n / a, pl / a, a / m
       FROM (SELECT p, 800 + random() * 1500 AS a, 2000 + random() * 4000 AS n,
                    150 + random() * 500 AS m, 150000 + random() * 200000 AS pl
             FROM generate_series(1, %(n)s) p) x""",
    """INSERT INTO study.sorafenib_characteristic
       SELECT p, DATE '2015-01-01' + p %% 1800, 50 + p %% 40, 8532,
              CASE WHEN p %% 5 < 3 THEN 'female' ELSE 'male' END, p %% 3,
              CASE WHEN p %% 4 = 0 THEN 'locally advanced' ELSE 'recurrence' END,
              'DTC', CASE WHEN p %% 6 = 0 THEN 'follicular' ELSE 'papillary' END, 4116228,
              p %% 3 = 0, p %% 10 <> 0, p %% 2 = 0, p %% 5 < 2, p %% 4 = 0
       FROM generate_series(1, %(n)s) p""",
    """INSERT INTO study.sorafenib_response
       SELECT p, DATE '2015-01-01' + p %% 1800, 4, NULL, NULL,
              (ARRAY['PR', 'SD', 'SD', 'SD', 'PD'])[1 + p %% 5], 200, p %% 5 = 0, p %% 5 < 4,
              p %% 5 < 3, 50, 40, 20
       FROM generate_series(1, %(n)s) p""",
    """INSERT INTO study.sorafenib_adverse_event
       SELECT p, t, DATE '2015-02-01', 1, 1 + (p + length(t)) %% 4
       FROM generate_series(1, %(n)s) p,
            unnest(ARRAY['hand-foot skin reaction', 'hypertension', 'rash', 'alopecia']) t
       WHERE (p + length(t)) %% 3 <> 0""",
]


def create_database() -> Database:
    admin = start_embedded(Path(tempfile.gettempdir()) / "rwe-bench", "postgres")
    name = f"rwe_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(url=make_conninfo(admin, dbname=name))
    init_database(db)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    args = parser.parse_args()
    db = create_database()
    try:
        measure(db, args.persons)
    finally:
        if not args.keep:
            drop_database(db.url)


def measure(db: Database, persons: int) -> None:
    params = load_study_config().params.with_options(cutoff_date=CUTOFF)
    derive_all(db, params=params)  # creates the (empty) study tables and records the options
    t0 = time.monotonic()
    with db.transaction() as conn:
        for statement in FILL:
            conn.execute(statement, {"n": persons, "cutoff": CUTOFF})
    print(f"filled the study tables for {persons:,} persons in {time.monotonic() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.monotonic()
        summary = analyze_sorafenib(db, SorafenibOptions(), Path(out), "benchmark")
        seconds = time.monotonic() - t0
    print(
        f"analyze sorafenib: {summary.n_included:,} included patients in {seconds:.1f} s "
        f"(target < 60 s), {len(summary.files)} files"
    )


if __name__ == "__main__":
    main()
