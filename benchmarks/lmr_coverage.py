"""Issue #7's large-cohort check: does the LMR hazard ratio's 95% CI cover the truth?

Runs the whole chain on a `dtc-2021` cohort of N patients (default 20,000): `rwe synth` →
`rwe etl` (with derive) → `rwe analyze sorafenib`, then compares the univariate Cox HR of
LMR high vs low for OS (Table II) with the generating hazard ratio in truth.json. Too slow for
the test suite (about 4 M resources); run: `.venv/bin/python benchmarks/lmr_coverage.py`.
"""

from __future__ import annotations

import argparse
import json
import shutil
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
from rwe.etl.run import EtlOptions, run_etl
from rwe.nightly import after_load
from rwe.study.options import SorafenibOptions
from rwe.study.sorafenib import analyze_sorafenib
from rwe.synth.export import SynthOptions, synthesize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark's database and export"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rwe-lmr-"))
    admin = start_embedded(Path(tempfile.gettempdir()) / "rwe-bench", "postgres")
    name = f"rwe_lmr_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(url=make_conninfo(admin, dbname=name))
    try:
        measure(db, work, args.patients, args.seed)
    finally:
        if args.keep:
            print(f"kept: database {name}, export and report in {work}")
        else:
            drop_database(db.url)
            shutil.rmtree(work, ignore_errors=True)


def measure(db: Database, work: Path, patients: int, seed: int) -> None:
    init_database(db)
    t0 = time.monotonic()
    synthesize(
        work / "export",
        SynthOptions(preset="dtc-2021", patients=patients, seed=seed, gzip=True),
    )
    t1 = time.monotonic()
    report = run_etl(db, [str(work / "export")], EtlOptions())
    after_load(db, int(report["run_id"]), run_gates=False)
    t2 = time.monotonic()
    analyze_sorafenib(db, SorafenibOptions(), work / "report", "not run (benchmark)")
    t3 = time.monotonic()
    truth = json.loads((work / "export" / "truth.json").read_text())
    true_hr = truth["outcome_models"]["DTC"]["lmr_high_os_hr"]
    results = json.loads((work / "report" / "results.json").read_text())["results"]
    cox = results["table2"]["os"]["lmr_high"]
    covers = cox["hr_lower"] <= true_hr <= cox["hr_upper"]
    print(
        f"{patients:,} patients, {report['read']:,} resources: synth {t1 - t0:.0f} s, "
        f"etl+derive {t2 - t1:.0f} s, analyze {t3 - t2:.0f} s"
    )
    print(
        f"OS HR, LMR high vs low: {cox['hr']:.3f} (95% CI {cox['hr_lower']:.3f}-"
        f"{cox['hr_upper']:.3f}), n = {cox['n']:,}; generating HR {true_hr}: "
        f"{'covered' if covers else 'NOT covered'}"
    )


if __name__ == "__main__":
    main()
