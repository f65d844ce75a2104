"""Python cost per resource of the ETL's read side (not a timed test): hash, decode, check and
transform each line of the benchmark cohort into staged COPY text in memory (no COPY, no
merge), per resource type, best of three passes.

    .venv/bin/python benchmarks/etl_transform.py --resources 300000

Observations (shaped as a hospital's labs, or --labs minimal) take the fast path
(rwe/etl/fast.py); the other types the generic one (rwe/etl/pipeline.py, one transform
module per type). Uses the seed vocabulary of a fresh database on the embedded server,
dropped at the end (or --database-url).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from etl_throughput import LAB_LAYOUTS, TIME_LAYOUTS, drop_database, fresh_database, generate

from rwe.db.connection import Database
from rwe.etl.load import RowBuffer
from rwe.etl.mappings import load_mappings
from rwe.etl.pipeline import Pipeline
from rwe.etl.skip import SkipSet
from rwe.etl.transform import Context
from rwe.etl.vocabulary import database_vocabulary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=300_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--labs", choices=LAB_LAYOUTS, default="hospital", help="see etl_throughput.generate()"
    )
    parser.add_argument(
        "--times", choices=TIME_LAYOUTS, default="distinct", help="see etl_throughput.generate()"
    )
    args = parser.parse_args()
    url = args.database_url or fresh_database()
    try:
        measure(Database(url=url), args.resources, args.labs, args.times)
    finally:
        if not args.database_url:
            drop_database(url)


def measure(db: Database, resources: int, labs: str, times: str) -> None:
    mappings = load_mappings()
    with tempfile.TemporaryDirectory() as tmp, db.connect(autocommit=True) as conn:
        folder = Path(tmp)
        generate(folder, resources, labs=labs, times=times)
        for path in sorted(folder.glob("*.ndjson")):
            lines = path.read_bytes().splitlines()
            best = float("inf")
            for _ in range(3):
                vocabulary = database_vocabulary(db, conn, mappings)
                ctx = Context(vocabulary=vocabulary, mappings=mappings, data_date="2024-06-01")
                pipeline = Pipeline(ctx, RowBuffer(limit=1 << 62), SkipSet.empty(), 7)
                todo = [(n, line, hash(line)) for n, line in enumerate(lines, start=1)]
                started = time.perf_counter()
                pipeline.decode_lines(todo, 1)
                best = min(best, time.perf_counter() - started)
            kind = path.name.split(".")[0]
            print(
                f"{kind:<22}{len(lines):>10,} resources {best:6.2f} s"
                f" = {best / len(lines) * 1e6:5.1f} µs each"
            )


if __name__ == "__main__":
    main()
