"""What the reliability tests compare: checksums of the loaded state, reader totals, clones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from rwe.db.connection import Database
from tests.conftest import _create_database, _drop_database

HOOK = Path(__file__).with_name("hook")  # sitecustomize.py: the test-only step hook
CDM_TABLES = (
    "person",
    "death",
    "observation_period",
    "visit_occurrence",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "observation",
)
# rwe's own state a load writes; run ids differ between a killed-then-rerun history and an
# uninterrupted one (the killed run is recorded), so they are left out.
RWE_TABLES = {
    "fhir_resource": "resource_key, resource_type, fhir_id, state, last_updated, content_hash,"
    " person_id",
    "medication": "*",
    "reject": "source_file, line, resource_type, resource_id, reason, detail",
}


def checksums(db: Database) -> dict[str, str]:
    """md5 of every ETL-written table's rows (sorted), ids included."""
    queries = {f"cdm.{t}": f"SELECT * FROM cdm.{t}" for t in CDM_TABLES}
    queries |= {f"rwe.{t}": f"SELECT {cols} FROM rwe.{t}" for t, cols in RWE_TABLES.items()}
    out = {}
    with db.connect() as conn:
        for name, query in queries.items():
            row = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f" FROM ({query}) t"
            ).fetchone()
            assert row is not None
            out[name] = f"{row[0]}:{row[1]}"
    return out


TOTALS_SQL = (
    "SELECT "
    + ", ".join(f"(SELECT count(*) FROM cdm.{t})" for t in CDM_TABLES)
    + ", (SELECT count(*) FROM rwe.fhir_resource WHERE state = 'loaded')"
)


def totals(db: Database) -> tuple[int, ...]:
    """Row counts of the CDM tables and loaded resources, read in one snapshot."""
    with db.connect(autocommit=True) as conn:
        row = conn.execute(TOTALS_SQL).fetchone()
    assert row is not None
    return tuple(row)


class Reader:
    """A reader polling `totals` in one statement (one snapshot) while a load runs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: set[tuple[int, ...]] = set()
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with psycopg.connect(self.db.url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(TOTALS_SQL).fetchone()
                assert row is not None
                self.seen.add(tuple(row))
                self.polls += 1
                self._stop.wait(0.02)

    def __enter__(self) -> Reader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@contextmanager
def clone(admin_url: str, template: Database) -> Iterator[Database]:
    """A copy of `template`'s database (no connection may be open on it)."""
    name = f"rwe_rel_{uuid.uuid4().hex[:12]}"
    template_name = psycopg.conninfo.conninfo_to_dict(template.url)["dbname"]
    url = _create_database(admin_url, name, template=str(template_name))
    try:
        yield Database(url=url)
    finally:
        _drop_database(admin_url, name)


def rwe_etl(
    db: Database, *args: str, step_env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m rwe etl ARGS` against `db` (no derive/gates: the load alone), optionally
    with the step hook (see hook/sitecustomize.py)."""
    env = {**os.environ, "RWE_DATABASE_URL": db.url, **(step_env or {})}
    if step_env:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOK), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "rwe", "etl", *args, "--no-derive", "--no-gates"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def paused_etl(db: Database, source: Path, label: str, pause: Path) -> subprocess.Popen[str]:
    """`python -m rwe etl SOURCE` against `db`, started and held at the first SQL statement
    holding `label` until `pause` is deleted (the step hook); returns once it is held."""
    env = {
        **os.environ,
        "RWE_DATABASE_URL": db.url,
        "PYTHONPATH": str(HOOK),
        "RWE_TEST_STEP_ACTION": "pause",
        "RWE_TEST_STEP_PAUSE": str(pause),
        "RWE_TEST_STEP_AT_LABEL": label,
    }
    load = subprocess.Popen(
        [sys.executable, "-m", "rwe", "etl", str(source), "--no-derive", "--no-gates"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not pause.exists():
        if load.poll() is not None or time.monotonic() > deadline:
            load.kill()
            _, err = load.communicate()
            raise AssertionError(f"the load did not reach {label!r}: {err[-2000:]}")
        time.sleep(0.05)
    return load


def rows(db: Database, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute(query, params).fetchall()


# OMOP id columns: values are resource_key * 1000 + row_index (rwe/etl/README.md, "Stable ids").
ID_COLUMNS = {
    "person_id",
    "visit_occurrence_id",
    "observation_period_id",
    "observation_event_id",
    "preceding_visit_occurrence_id",
}


def content(
    db: Database, masked_drug_ends: frozenset[str] = frozenset()
) -> dict[str, list[tuple[str, ...]]]:
    """Every ETL-written table's rows, sorted, with each OMOP id replaced by the FHIR resource it
    comes from (`Type/id#row`): what two loads must agree on when their keys legitimately
    differ (keys are given in the order resources are first seen). A drug_exposure_end_date in
    `masked_drug_ends` (export data dates: imputed ends of ongoing exposures) reads "(data
    date)"."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with db.connect() as conn:
        keys = dict(
            conn.execute(
                "SELECT resource_key, resource_type || '/' || fhir_id FROM rwe.fhir_resource"
            ).fetchall()
        )

        def natural(value: Any) -> str:
            return "" if value is None else f"{keys[int(value) // 1000]}#{int(value) % 1000}"

        for table in CDM_TABLES:
            cur = conn.execute(f"SELECT * FROM cdm.{table}")
            names = [d.name for d in cur.description or []]
            ids = {i for i, n in enumerate(names) if n in ID_COLUMNS or n == f"{table}_id"}
            masked = {i for i, n in enumerate(names) if n == "drug_exposure_end_date"}

            out[table] = sorted(
                tuple(
                    natural(v)
                    if i in ids
                    else "(data date)"
                    if i in masked and str(v) in masked_drug_ends
                    else str(v)
                    for i, v in enumerate(row)
                )
                for row in cur.fetchall()
            )
        out["fhir_resource"] = sorted(
            tuple(map(str, row))
            for row in conn.execute(
                "SELECT resource_type, fhir_id, state, last_updated, content_hash,"
                " person_id IS NOT NULL FROM rwe.fhir_resource"
                # a deletion is remembered only for a resource loaded before it (a fresh load
                # that reads a resource and its deletion in one run never records either)
                " WHERE state <> 'deleted'"
            ).fetchall()
        )
    return out


def data_date(export: Path) -> str:
    """The UTC date of an export's manifest transactionTime (the ETL's data date)."""
    stamp = json.loads((export / "manifest.json").read_text())["transactionTime"]
    return str(stamp)[:10]
