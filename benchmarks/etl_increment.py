"""Where a nightly 1% increment spends its time (not a timed test): the same increments, each
on a fresh copy of one loaded database, with the run's step timings.

    .venv/bin/python benchmarks/etl_increment.py --resources 1000000 --nights 3

The first call generates the benchmark cohort (benchmarks/etl_throughput.py's `generate`) and
its nightly deltas in --data, loads it into a template database on the embedded benchmark server
(`rwe_incr_<N>_<times>`, its input in `<data>/<N>_<times>`, VACUUM ANALYZE after) and keeps
both; later calls reuse them, so a trial costs the copy and the increment (about 3 s at 1 M,
against 75 s for the whole throughput benchmark). Each night runs on `CREATE DATABASE ...
TEMPLATE` of it, its pages read into PostgreSQL's cache first (pg_prewarm; --cold leaves them to
the OS cache, as for a database larger than the cache), then CHECKPOINT: every page's first
change writes its full image, as on a settled database. Compare code versions by running this
script with PYTHONPATH set to a worktree of each (the template is plain data: both can use it),
or server settings by changing them between calls. Needs a superuser (CREATE DATABASE,
CHECKPOINT)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).parent))

from etl_throughput import TIME_LAYOUTS, generate, increment

from rwe.db.connection import Database
from rwe.db.embedded import start_embedded
from rwe.db.lifecycle import init_database
from rwe.etl.run import EtlOptions, run_etl

COPY = "rwe_incr_trial"
_STEP = re.compile(r"^(?:resolve: (\S+)|merge step (\S+): \d+ rows in) (\d+\.\d+) s")


class Steps(logging.Handler):
    """Collects the `rwe.etl.load` debug timings of the resolve and merge steps."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = _STEP.match(record.getMessage())
        if match:
            self.seconds[match.group(1) or match.group(2)] = float(match.group(3))


def prepare(admin: str, data: Path, resources: int, nights: int, times: str) -> str:
    """The template database (loaded once) and the input; returns the template's name (both
    named for the size and the times: etl_throughput.generate())."""
    full = data / "full"
    if not (full / "Observation.000.ndjson").exists():
        print(f"generating {resources:,} resources in {full}")
        generate(full, resources, times=times)
    total = sum(sum(1 for _ in f.open()) for f in full.glob("*.ndjson"))
    observations = sum(1 for _ in (full / "Observation.000.ndjson").open())
    for night in range(1, nights + 1):
        if not (data / f"delta{night}" / "Observation.000.ndjson").exists():
            increment(full, data / f"delta{night}", 0.01 * total / observations, night)
    template = f"rwe_incr_{resources}_{times}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
        ).fetchone()
    if not exists:
        try:
            _sql(admin, "postgres", f"CREATE DATABASE {template}")
            url = make_conninfo(admin, dbname=template)
            init_database(Database(url=url))
            started = time.perf_counter()
            run_etl(Database(url=url), [str(full)], EtlOptions(max_reject_rate=0.0))
            print(f"first load into {template}: {time.perf_counter() - started:.1f} s")
            _sql(admin, template, "VACUUM (ANALYZE)")
        except BaseException:
            _sql(admin, "postgres", f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
            raise
    return template


def trial(admin: str, template: str, delta: Path, cold: bool) -> tuple[float, dict[str, float]]:
    """One increment on a fresh copy of the template: (seconds, step timings)."""
    _sql(admin, "postgres", f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")
    _sql(admin, "postgres", f"CREATE DATABASE {COPY} TEMPLATE {template}")
    if not cold:
        _sql(
            admin,
            COPY,
            "CREATE EXTENSION IF NOT EXISTS pg_prewarm;"
            " SELECT pg_prewarm(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'i', 't')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
        )
    _sql(admin, "postgres", "CHECKPOINT")
    steps = Steps()
    logger = logging.getLogger("rwe.etl.load")
    logger.addHandler(steps)
    logger.setLevel(logging.DEBUG)
    try:
        started = time.perf_counter()
        run_etl(
            Database(url=make_conninfo(admin, dbname=COPY)),
            [str(delta)],
            EtlOptions(max_reject_rate=0.0),
        )
        return time.perf_counter() - started, steps.seconds
    finally:
        logger.removeHandler(steps)


def _sql(admin: str, database: str, query: str) -> None:
    with psycopg.connect(make_conninfo(admin, dbname=database), autocommit=True) as conn:
        conn.execute(query.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--nights", type=int, default=3, help="increments, each other labs")
    parser.add_argument(
        "--data", default="/tmp/rwe-incr-bench", help="where the input is kept between calls"
    )
    parser.add_argument("--cold", action="store_true", help="do not prewarm the copies")
    parser.add_argument(
        "--times", choices=TIME_LAYOUTS, default="distinct", help="see etl_throughput.generate()"
    )
    args = parser.parse_args()
    admin = start_embedded(
        Path(os.environ.get("RWE_BENCH_DIR", f"/tmp/rwe-bench-{os.getuid()}")), "postgres"
    )
    data = Path(args.data) / f"{args.resources}_{args.times}"
    template = prepare(admin, data, args.resources, args.nights, args.times)
    totals = []
    steps: dict[str, list[float]] = defaultdict(list)
    try:
        for night in range(1, args.nights + 1):
            seconds, timed = trial(admin, template, data / f"delta{night}", args.cold)
            totals.append(seconds)
            for step, value in timed.items():
                steps[step].append(value)
            print(f"night {night}: {seconds:.3f} s")
    finally:
        _sql(admin, "postgres", f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")
    median = statistics.median(totals)
    print(f"increments: {min(totals):.3f}-{max(totals):.3f} s, median {median:.3f} s")
    slow = sorted(steps.items(), key=lambda item: -statistics.median(item[1]))
    print(
        "steps (median s): "
        + ", ".join(f"{step} {statistics.median(v):.2f}" for step, v in slow[:8])
        + f"; the rest {sum(statistics.median(v) for _, v in slow[8:]):.2f}"
    )


if __name__ == "__main__":
    main()
