"""The one writer of clinical rows: COPY into staging tables, then set-based merges into the
OMOP tables, all inside the run's single transaction (readers see the old state until commit).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg

from rwe.db.sqlfiles import read_sql
from rwe.etl.rows import EVENT_COLUMNS, MEDICATION_COLUMNS, PERSON_COLUMNS

log = logging.getLogger(__name__)

STAGING_TABLES = (
    "stg_file",
    "stg_resource",
    "stg_event",
    "stg_person",
    "stg_medication",
    "stg_reject",
)
_COLUMNS: dict[str, tuple[str, ...]] = {
    "stg_file": ("file_no", "name"),
    "stg_resource": (
        "occ",
        "resource_type",
        "fhir_id",
        "last_updated",
        "action",
        "reason",
        "person_ref",
        "visit_ref",
        "medication_ref",
        "content_hash",
        "file_no",
        "line",
    ),
    "stg_event": ("occ", *EVENT_COLUMNS),
    "stg_person": ("occ", *PERSON_COLUMNS),
    "stg_medication": ("occ", *MEDICATION_COLUMNS),
    "stg_reject": ("file_no", "line", "resource_type", "resource_id", "reason", "detail"),
}
# COPY text format: backslash, tab, newline and carriage return must be escaped.
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
FLUSH_BYTES = 8 << 20

# Merge steps, in order (rwe/sql/etl/<name>.sql).
MERGE_STEPS = (
    "assign_keys",
    "changed_key",
    "delete_measurement",
    "delete_observation",
    "delete_condition_occurrence",
    "delete_drug_exposure",
    "delete_procedure_occurrence",
    "delete_visit_occurrence",
    "delete_death",
    "delete_person",
    "update_state",
    "resolve_links",
    "insert_person",
    "insert_death",
    "upsert_medication",
    "insert_visit_occurrence",
    "insert_measurement",
    "insert_observation",
    "insert_condition_occurrence",
    "insert_procedure_occurrence",
    "insert_drug_exposure",
    "clear_deleted_visits",
    "observation_period",
)


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return str(value).translate(_ESCAPE)
    return str(value)


class Stager:
    """Buffers rows per staging table as COPY text and streams them by COPY when full."""

    def __init__(self, conn: psycopg.Connection, params: dict[str, str]) -> None:
        self.conn = conn
        self._buffers: dict[str, list[str]] = {t: [] for t in STAGING_TABLES}
        self._size = 0
        self.rows: dict[str, int] = dict.fromkeys(STAGING_TABLES, 0)
        for table in STAGING_TABLES:
            conn.execute(read_sql(f"etl/{table}.sql", params).encode())

    def add(self, table: str, values: Sequence[Any]) -> None:
        line = "\t".join([_text(v) for v in values])
        self._buffers[table].append(line)
        self._size += len(line) + 1
        if self._size >= FLUSH_BYTES:
            self.flush()

    def add_event(self, occ: int, row: list[Any]) -> None:
        """The hot path: one staged clinical row."""
        line = f"{occ}\t" + "\t".join([_text(v) for v in row])
        self._buffers["stg_event"].append(line)
        self._size += len(line) + 1
        if self._size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """COPY every buffered row to its staging table."""
        with self.conn.cursor() as cur:
            for table, lines in self._buffers.items():
                if not lines:
                    continue
                columns = ", ".join(_COLUMNS[table])
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write("\n".join(lines).encode() + b"\n")
                self.rows[table] += len(lines)
                lines.clear()
        self._size = 0


def resolve(conn: psycopg.Connection, params: dict[str, str]) -> None:
    """Decide every staged resource's outcome and reject dangling references (no CDM writes)."""
    for table in ("stg_resource", "stg_event", "stg_person"):
        conn.execute(f"ANALYZE {table}")
    conn.execute(read_sql("etl/winner.sql", params).encode())
    conn.execute(read_sql("etl/reject_dangling.sql", params).encode())


def outcome_counts(conn: psycopg.Connection, params: dict[str, str]) -> list[tuple[Any, ...]]:
    return conn.execute(read_sql("etl/outcome_counts.sql", params).encode()).fetchall()


def merge(conn: psycopg.Connection, params: dict[str, str]) -> dict[str, int]:
    """Apply the run to the OMOP tables; returns rows affected per step."""
    affected: dict[str, int] = {}
    for step in MERGE_STEPS:
        cur = conn.execute(read_sql(f"etl/{step}.sql", params).encode())
        affected[step] = max(cur.rowcount, 0)
        log.debug("merge step %s: %d rows", step, cur.rowcount)
    return affected


def store_rejects(conn: psycopg.Connection, params: dict[str, str]) -> None:
    conn.execute(read_sql("etl/insert_reject.sql", params).encode())
