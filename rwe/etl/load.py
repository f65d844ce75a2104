"""The one writer of clinical rows: COPY into staging tables, then set-based merges into the
OMOP tables, all inside the run's single transaction (readers see the old state until commit).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg

from rwe.db.sqlfiles import read_sql
from rwe.etl.rows import EVENT_COLUMNS, MEDICATION_COLUMNS, PERSON_COLUMNS

# (not rwe.etl.direct: it imports this module)
FHIR_RESOURCE_COLUMNS = (
    "resource_key",
    "resource_type",
    "fhir_id",
    "state",
    "last_updated",
    "content_hash",
    "person_id",
    "run_id",
    "row_count",
)
DIRECT_EVENT_COLUMNS = {
    table: (
        f"{table}_id",
        "person_id",
        f"{table}_concept_id",
        f"{table}_date",
        f"{table}_datetime",
        f"{table}_type_concept_id",
        "value_as_number",
        "unit_concept_id",
        "visit_occurrence_id",
        f"{table}_source_value",
        f"{table}_source_concept_id",
        "unit_source_value",
        "value_source_value",
        *(("range_low", "range_high") if table == "measurement" else ()),
    )
    for table in ("measurement", "observation")
}
# The generic path's direct rows (rwe.etl.direct._EVENT): the columns of each insert_*.sql.
DIRECT_EVENT_COLUMNS.update(
    visit_occurrence=(
        "visit_occurrence_id",
        "person_id",
        "visit_concept_id",
        "visit_start_date",
        "visit_start_datetime",
        "visit_end_date",
        "visit_end_datetime",
        "visit_type_concept_id",
        "visit_source_value",
        "visit_source_concept_id",
    ),
    condition_occurrence=(
        "condition_occurrence_id",
        "person_id",
        "condition_concept_id",
        "condition_start_date",
        "condition_start_datetime",
        "condition_end_date",
        "condition_end_datetime",
        "condition_type_concept_id",
        "stop_reason",
        "visit_occurrence_id",
        "condition_source_value",
        "condition_source_concept_id",
    ),
    drug_exposure=(
        "drug_exposure_id",
        "person_id",
        "drug_concept_id",
        "drug_exposure_start_date",
        "drug_exposure_start_datetime",
        "drug_exposure_end_date",
        "drug_exposure_end_datetime",
        "verbatim_end_date",
        "drug_type_concept_id",
        "stop_reason",
        "refills",
        "quantity",
        "days_supply",
        "sig",
        "route_concept_id",
        "visit_occurrence_id",
        "drug_source_value",
        "drug_source_concept_id",
        "route_source_value",
        "dose_unit_source_value",
    ),
    observation_event=(
        "observation_id",
        "person_id",
        "observation_concept_id",
        "observation_date",
        "observation_datetime",
        "observation_type_concept_id",
        "value_as_number",
        "value_as_string",
        "value_as_concept_id",
        "unit_concept_id",
        "visit_occurrence_id",
        "observation_source_value",
        "observation_source_concept_id",
        "unit_source_value",
        "value_source_value",
        "observation_event_id",
        "obs_event_field_concept_id",
    ),
)

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
        "row_count",
        "file_no",
        "line",
    ),
    "stg_event": ("occ", *EVENT_COLUMNS),
    "stg_person": ("occ", *PERSON_COLUMNS),
    "stg_medication": ("occ", *MEDICATION_COLUMNS),
    "stg_reject": ("file_no", "line", "resource_type", "resource_id", "reason", "detail"),
    **{f"direct_{t}": c for t, c in DIRECT_EVENT_COLUMNS.items()},
    "direct_fhir_resource": FHIR_RESOURCE_COLUMNS,
}
# The first-load direct path's rows go straight to their tables (rwe/etl/direct.py); they are
# written after the staging rows of the same chunk.
DIRECT_TABLES = ("direct_fhir_resource", *(f"direct_{t}" for t in DIRECT_EVENT_COLUMNS))
BUFFER_TABLES = STAGING_TABLES + DIRECT_TABLES
# Staging rows go through COPY ... (FORMAT csv) with two control characters as delimiter and
# quote, which FHIR text practically never holds: a row is joined as is, and only a row whose
# delimiter count is off (or that holds a quote byte, CR or LF) takes the quoting path.
# An unquoted empty field is NULL; empty strings are staged as NULL too.
DELIMITER = "\x1f"
QUOTE = "\x1e"
FLUSH_BYTES = 8 << 20
# While a run reads, the GIL changes hands at least this often (seconds; Python's default is
# 5 ms): the Stager's writer thread needs it for every few hundred KB it sends, and waiting up
# to 5 ms behind the reading thread left PostgreSQL idle (1 M hospital labs, ad hoc: 2.3 s of
# backlog after the last line at 5 ms, 0.7–0.9 s at 0.2–1 ms; the backend busy 0.88 of a core
# while the Observations were read, 0.89–0.97 at 0.2–1 ms). The setting is the process's: runs
# overlapping in threads of one process would restore each other's (rwe runs one at a time).
SWITCH_INTERVAL = 0.001
WORK_MEM = "64MB"  # per sort/hash node of the merge, in the PostgreSQL backend
# The merge's tables are mostly cached: with the default 4 the planner seq-scans the id map
# (1 M rows, 0.35 s) to join a nightly increment's 10,000 resources instead of probing its
# index (0.1 s); 1.1 is PostgreSQL's own advice for storage with cheap random reads (SSD).
RANDOM_PAGE_COST = "1.1"

# Merge steps, in order (rwe/sql/etl/<name>.sql).
MERGE_STEPS = (
    "changed_key",
    "update_measurement",
    "rewritten_key",
    "delete_measurement",
    "delete_observation",
    "delete_condition_occurrence",
    "delete_drug_exposure",
    "delete_procedure_occurrence",
    "delete_visit_occurrence",
    "delete_death",
    "delete_person",
    "update_state",
    "insert_person",
    "insert_death",
    "upsert_medication",
    "insert_visit_occurrence",
    "insert_measurement",
    "insert_observation",
    "insert_condition_occurrence",
    "insert_procedure_occurrence",
    "insert_drug_exposure",
    "open_exposure",
    "clear_deleted_visits",
    "observation_period",
)


def encode_row(values: Sequence[Any]) -> str:
    """One CSV line for COPY (see DELIMITER)."""
    line = DELIMITER.join(
        ["" if v is None else (v if v.__class__ is str else str(v)) for v in values]
    )
    if line.count(DELIMITER) == len(values) - 1 and not _special(line):
        return line
    return DELIMITER.join([_quote(v) for v in values])


def _special(line: str) -> bool:
    return QUOTE in line or "\n" in line or "\r" in line or "\x00" in line


def _quote(value: Any) -> str:
    if value is None:
        return ""
    text = (value if value.__class__ is str else str(value)).replace("\x00", "")
    if DELIMITER in text or _special(text):
        return QUOTE + text.replace(QUOTE, QUOTE + QUOTE) + QUOTE
    return str(text)


class RowBuffer:
    """Rows per staging table as COPY text (a worker process fills one and hands it over)."""

    def __init__(self, limit: int = FLUSH_BYTES) -> None:
        self._buffers: dict[str, list[str]] = {t: [] for t in BUFFER_TABLES}
        self._size = 0
        self._limit = limit
        self.rows: dict[str, int] = dict.fromkeys(BUFFER_TABLES, 0)

    def add(self, table: str, values: Sequence[Any]) -> None:
        line = encode_row(values)
        self._buffers[table].append(line)
        self._size += len(line) + 1
        if self._size >= self._limit:
            self.flush()

    def add_line(self, table: str, line: str) -> None:
        """A row already encoded as COPY text (see encode_row)."""
        self._buffers[table].append(line)
        self._size += len(line) + 1
        if self._size >= self._limit:
            self.flush()

    def add_pair(self, rows: tuple[tuple[str, str], tuple[str, str]]) -> None:
        """Two rows already encoded, as (table, line): a direct lab's id-map and CDM rows (one
        call instead of two add_line: ≈ 0.1 µs a lab)."""
        (first, first_line), (second, second_line) = rows
        self._buffers[first].append(first_line)
        self._buffers[second].append(second_line)
        self._size += len(first_line) + len(second_line) + 2
        if self._size >= self._limit:
            self.flush()

    def add_event(self, occ: int, row: list[Any]) -> None:
        """The hot path: one staged clinical row."""
        line = f"{occ}{DELIMITER}" + encode_row(row)
        self._buffers["stg_event"].append(line)
        self._size += len(line) + 1
        if self._size >= self._limit:
            self.flush()

    def take(self) -> list[tuple[str, bytes]]:
        """The buffered rows as COPY data per table; the buffer is empty after."""
        chunk = []
        for table, lines in self._buffers.items():
            if lines:
                chunk.append((table, ("\n".join(lines) + "\n").encode()))
                self.rows[table] += len(lines)
                lines.clear()
        self._size = 0
        return chunk

    def flush(self) -> None:
        """Nothing to do for a plain buffer (see Stager)."""


class Stager(RowBuffer):
    """A RowBuffer whose full buffers a writer thread streams by COPY while the next rows are
    transformed (PostgreSQL works on one core, Python on the other). The queue holds at most
    two chunks, so memory stays bounded."""

    def __init__(self, conn: psycopg.Connection, params: dict[str, str]) -> None:
        super().__init__()
        self.conn = conn
        for table in STAGING_TABLES:
            conn.execute(read_sql(f"etl/{table}.sql", params).encode())
        self._targets = {t: t for t in STAGING_TABLES}
        self._targets.update(
            direct_fhir_resource=f"{params['rwe']}.fhir_resource",
            direct_observation_event=f"{params['cdm']}.observation",
        )
        for table in DIRECT_EVENT_COLUMNS:
            self._targets.setdefault(f"direct_{table}", f"{params['cdm']}.{table}")
        self._queue: queue.Queue[list[tuple[str, bytes]] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="rwe-copy", daemon=True)
        self._thread.start()

    def flush(self) -> None:
        """Hand every buffered row to the writer thread."""
        chunk = self.take()
        if chunk:
            self._put(chunk)

    def add_chunk(self, chunk: list[tuple[str, bytes]], rows: dict[str, int]) -> None:
        """COPY data a worker prepared (after what is buffered here, to keep the order)."""
        self.flush()
        for table, n in rows.items():
            self.rows[table] += n
        if chunk:
            self._put(chunk)

    def close(self) -> None:
        """Flush, wait for the writer; re-raise its error. The connection is free after."""
        self.flush()
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _put(self, item: list[tuple[str, bytes]] | None) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        if self._error is not None:
            raise self._error

    def _write(self) -> None:
        try:
            while (chunk := self._queue.get()) is not None:
                with self.conn.cursor() as cur:
                    for table, data in chunk:
                        columns = ", ".join(_COLUMNS[table])
                        with cur.copy(
                            f"COPY {self._targets[table]} ({columns}) FROM STDIN"
                            f" (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')"
                        ) as copy:
                            copy.write(data)
        except BaseException as exc:  # handed to the main thread by close()/_put()
            self._error = exc


def resolve(conn: psycopg.Connection, params: dict[str, str]) -> None:
    """Decide every staged resource's outcome and reject dangling references (no CDM writes)."""
    started = time.perf_counter()
    # Sorts and hashes of a run's staging tables fit in memory (the default 4 MB spills the
    # candidate window sort to disk); statistics make the merges hash-join stg_event.
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    conn.execute(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}")
    # Only the columns the plans use: the window and id-map join of candidate.sql, the merges'
    # join and filter on stg_event (a 1% increment at 1 M: 0.05-0.07 s for all 44 columns).
    conn.execute("ANALYZE stg_resource (resource_type, fhir_id)")
    conn.execute("ANALYZE stg_event (occ, target)")
    log.debug("resolve: analyze %.2f s", time.perf_counter() - started)
    for step in ("candidate", "loaded_after", "winner"):
        started = time.perf_counter()
        conn.execute(read_sql(f"etl/{step}.sql", params).encode())
        log.debug("resolve: %s %.2f s", step, time.perf_counter() - started)


def outcome_counts(conn: psycopg.Connection, params: dict[str, str]) -> list[tuple[Any, ...]]:
    return conn.execute(read_sql("etl/outcome_counts.sql", params).encode()).fetchall()


def merge(conn: psycopg.Connection, params: dict[str, str]) -> dict[str, int]:
    """Apply the run to the OMOP tables; returns rows affected per step: the sum over the
    statements of its file (rows written to its temporary tables included)."""
    affected: dict[str, int] = {}
    for step in MERGE_STEPS:
        started = time.perf_counter()
        cur = conn.execute(read_sql(f"etl/{step}.sql", params).encode())
        rows = max(cur.rowcount, 0)
        while cur.nextset():
            rows += max(cur.rowcount, 0)
        affected[step] = rows
        log.debug("merge step %s: %d rows in %.2f s", step, rows, time.perf_counter() - started)
    return affected


def store_rejects(conn: psycopg.Connection, params: dict[str, str]) -> None:
    conn.execute(read_sql("etl/insert_reject.sql", params).encode())
