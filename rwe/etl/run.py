"""`rwe etl`: one run = one transaction, under an advisory lock, recorded in rwe.run."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from rwe import CDM_VERSION, FHIR_VERSION, __version__
from rwe.db.connection import Database, first_line
from rwe.db.migrate import require_schema, schema_params
from rwe.errors import BadInputError, DatabaseUnreachableError, LockedError
from rwe.etl import load
from rwe.etl.dates import parse_when
from rwe.etl.direct import Direct
from rwe.etl.extract.batch import Source
from rwe.etl.mappings import load_mappings
from rwe.etl.parallel import WorkerPool
from rwe.etl.pipeline import TYPE_NAMES, Pipeline
from rwe.etl.preread import PreRead
from rwe.etl.report import TOP_UNMAPPED, tally
from rwe.etl.skip import DeferredSkipSet, SkipSet, content_salt
from rwe.etl.sources import resolve_sources
from rwe.etl.transform import Context
from rwe.etl.vocabulary import database_vocabulary

log = logging.getLogger(__name__)

ETL_LOCK = 0x72776503  # advisory lock key: one `rwe etl` at a time per database
Progress = Callable[[str, int, int], None]


class RejectRateError(BadInputError):
    """More rejects than --max-reject-rate allows: nothing was loaded (rejects are kept)."""

    def __init__(self, what: str, fix: str, report: dict[str, Any]) -> None:
        super().__init__(what, fix)
        self.report = report


@dataclass
class EtlOptions:
    """How a run behaves (see `rwe etl --help`)."""

    max_reject_rate: float = 0.05
    wait: bool = False
    since: str | None = None  # server sources: _lastUpdated lower bound (default: last success)
    bulk_export: bool = False  # server sources: Bulk Data $export instead of search
    token_env: str = "RWE_FHIR_TOKEN"
    skip_unchanged: bool = True
    workers: int = 1  # >1: transform large NDJSON inputs in that many spawned processes
    direct: bool = True  # first load: COPY common Observations straight in (rwe.etl.direct)
    # Smaller inputs: starting worker processes (or a first load's pre-read process,
    # rwe.etl.preread.PreRead) costs more than it saves.
    parallel_min_bytes: int = 32 << 20
    extra: dict[str, Any] = field(default_factory=dict)


def run_etl(
    db: Database, arguments: list[str], options: EtlOptions, progress: Progress | None = None
) -> dict[str, Any]:
    """Load SOURCE arguments into the OMOP tables; returns the run report.

    Atomic: everything happens in one transaction, so readers see the previous state until
    the commit and a killed run leaves it intact. Raises `LockedError` when another run holds
    the lock, `RejectRateError` (nothing loaded) above `max_reject_rate`.
    """
    started = time.monotonic()
    side = db.connect(autocommit=True)
    main = db.connect()
    try:
        require_schema(side, db)
        _lock(main, options.wait)
        _mark_interrupted(side, db)
        sources = resolve_sources(db, side, arguments, options)
        run_id = _start_run(side, db, arguments)
        try:
            report = _run(db, main, side, run_id, sources, options, progress, started)
        except BaseException as exc:
            if isinstance(exc, psycopg.OperationalError) and (main.broken or side.broken):
                # The server went away: nothing to roll back or record; the next run marks
                # this one interrupted.
                raise DatabaseUnreachableError(
                    f"the database connection was lost during the load ({first_line(exc)})",
                    "Nothing of this run was loaded. Check that the server runs, then run "
                    "`rwe etl` again.",
                ) from exc
            main.rollback()
            if not isinstance(exc, RejectRateError):
                side.execute(
                    f"UPDATE {db.rwe_schema}.run SET status = 'failed', finished_at = now(),"
                    " message = %s WHERE run_id = %s",
                    (f"{type(exc).__name__}: {exc}"[:1000], run_id),
                )
            raise
        return report
    finally:
        main.close()
        side.close()


def _lock(main: psycopg.Connection, wait: bool) -> None:
    if wait:
        main.execute("SELECT pg_advisory_xact_lock(%s)", (ETL_LOCK,))
        return
    row = main.execute("SELECT pg_try_advisory_xact_lock(%s)", (ETL_LOCK,)).fetchone()
    if not row or not row[0]:
        raise LockedError(
            "another `rwe etl` run is loading this database",
            "Wait for it to finish (`rwe runs`), or pass --wait to queue behind it.",
        )


def _mark_interrupted(side: psycopg.Connection, db: Database) -> None:
    """Runs still 'running' while we hold the lock died (killed): say so."""
    side.execute(
        f"UPDATE {db.rwe_schema}.run SET status = 'failed', finished_at = now(),"
        " message = 'interrupted: the process stopped before committing; nothing of it was"
        " loaded' WHERE command = 'etl' AND status = 'running'"
    )


def _start_run(side: psycopg.Connection, db: Database, arguments: list[str]) -> int:
    row = side.execute(
        f"INSERT INTO {db.rwe_schema}.run (command, status, rwe_version, cdm_version,"
        " vocabulary_version, inputs) VALUES ('etl', 'running', %s, %s, %s, %s) RETURNING run_id",
        (__version__, CDM_VERSION, vocabulary_version(side, db), json.dumps(arguments)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def vocabulary_version(conn: psycopg.Connection, db: Database) -> str | None:
    row = conn.execute(
        f"SELECT vocabulary_version FROM {db.rwe_schema}.vocabulary_release"
        " ORDER BY release_id DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


_SKIP_KEYS = 1 << 20  # resource keys per packed chunk (≤ 10 MB each)
_SKIP_PART_BITS = 4  # the skip set is read and sorted in 2^4 parts of the hash range
# Reading the skip set costs ~1 µs per loaded resource, decoding and staging a line ~40 µs
# (measured at 1 M resources): the set pays off once the input has 1/40 as many lines.
_SKIP_PAYS_OFF = 40
_LINE_BYTES = 600  # a small NDJSON resource: local bytes / this over-estimates the lines
_GZIP_RATIO = 8  # FHIR NDJSON compresses about 8-15×


def _skip(
    side: psycopg.Connection, db: Database, sources: list[Source], last_key: int
) -> SkipSet | DeferredSkipSet:
    """The skip set now if the input may be large next to what is loaded, else deferred
    until the run has read enough lines (a nightly increment never reads it)."""
    if last_key == 0:
        return SkipSet.empty()
    after = last_key // _SKIP_PAYS_OFF
    if _local_bytes(sources, _GZIP_RATIO) // _LINE_BYTES > after:
        return _skip_set(side, db)
    return DeferredSkipSet(lambda: _skip_set(side, db), after)


def _skip_set(conn: psycopg.Connection, db: Database) -> SkipSet:
    """The content hashes of the loaded resources, sorted, with their type index: PostgreSQL
    packs them into one bytea per range of a million keys and 1/16 of the hash range (8 + 2
    bytes a row), read straight into numpy (not a Python object per row), then sorted part by
    part (SkipSet.from_parts): ≈ 22 bytes per loaded resource at the peak (220 MB at 10 M),
    where sorting all at once took 42 (425 MB). Read on the autocommit connection (the main
    one may be COPYing): the run's lock keeps what it sees equal to the run's own view."""
    names = ", ".join(f"'{name}'" for name in TYPE_NAMES)
    type_index = f"(coalesce(array_position(ARRAY[{names}]::text[], resource_type), 1) - 1)::int2"
    query = (
        f"SELECT (content_hash >> {64 - _SKIP_PART_BITS})::int2,"
        f" string_agg(int8send(content_hash), ''::bytea),"
        f" string_agg(int2send({type_index}), ''::bytea)"
        f" FROM {db.rwe_schema}.fhir_resource"
        " WHERE state = 'loaded' AND content_hash IS NOT NULL"
        " AND resource_key >= %s AND resource_key < %s"
        " GROUP BY 1"
    )
    bounds = conn.execute(
        f"SELECT min(resource_key), max(resource_key) FROM {db.rwe_schema}.fhir_resource"
    ).fetchone()
    if bounds is None or bounds[0] is None:
        return SkipSet.empty()
    # parts[p]: the chunks whose hashes' top bits are p - 2^(bits-1) (signed: ascending in p)
    half = 1 << (_SKIP_PART_BITS - 1)
    parts: list[list[tuple[Any, Any]]] = [[] for _ in range(2 * half)]
    with conn.transaction():
        # 16 groups: hashed, never sorted (right after a load the planner, without
        # statistics, sorted each chunk on disk: 0.8 s per million keys)
        conn.execute("SET LOCAL enable_sort = off")
        for low in range(int(bounds[0]), int(bounds[1]) + 1, _SKIP_KEYS):
            for part, packed_hashes, packed_types in conn.execute(
                query, (low, low + _SKIP_KEYS)
            ).fetchall():
                hashes = np.frombuffer(packed_hashes, ">i8").astype(np.int64)
                types = np.frombuffer(packed_types, ">i2").astype(np.int16)
                if hashes.size != types.size:
                    raise RuntimeError("content hashes and types differ in number")
                parts[part + half].append((hashes, types))
    return SkipSet.from_parts(parts)


def _run(
    db: Database,
    main: psycopg.Connection,
    side: psycopg.Connection,
    run_id: int,
    sources: list[Source],
    options: EtlOptions,
    progress: Progress | None,
    started: float,
) -> dict[str, Any]:
    mappings = load_mappings()
    vocab = database_vocabulary(db, side, mappings)
    vocab_version = vocabulary_version(side, db)
    salt = content_salt(f"{__version__}|{mappings.fingerprint}|{vocab_version}")
    when = data_date(sources)
    row = main.execute(
        f"SELECT coalesce(max(resource_key), 0) FROM {db.rwe_schema}.fhir_resource"
    ).fetchone()
    last_key = int(row[0]) if row else 0
    params = {
        **schema_params(db),
        "run_id": str(run_id),
        "data_date": f"DATE '{dt.date.fromisoformat(when).isoformat()}'",
        "last_key": str(last_key),
    }
    skip = _skip(side, db, sources, last_key) if options.skip_unchanged else SkipSet.empty()

    def make(stager: load.RowBuffer, direct: Direct | None) -> Pipeline:
        ctx = Context(vocabulary=vocab, mappings=mappings, data_date=when)
        return Pipeline(ctx, stager, skip, salt, direct)

    direct = None
    pre_read = None
    if options.direct and last_key == 0 and _all_local(sources):
        background = _local_bytes(sources) >= options.parallel_min_bytes
        pre_read = PreRead(sources, background)
        direct = Direct(run_id, 0, pre_read.result, pre_read.generic)
        main.execute("SAVEPOINT rwe_direct")
    try:
        pipeline = _read(db, main, sources, options, progress, started, params, make, direct)
        load.resolve(main, params)
        conflict = direct.conflicts(main, params) if direct is not None else None
    except psycopg.errors.UniqueViolation as exc:
        if direct is None or exc.diag.table_name != "fhir_resource":
            raise
        conflict = "a resource id occurs more than once"
    finally:
        if pre_read is not None:
            pre_read.close()
    if direct is not None and conflict is not None:
        # The direct path's assumption failed (rwe.etl.direct): start over through staging.
        main.execute("ROLLBACK TO SAVEPOINT rwe_direct")
        log.info("first load: %s; loading every resource through staging", conflict)
        vocab.unmapped.clear()
        vocab.unmapped_units.clear()
        direct = None
        pipeline = _read(db, main, sources, options, progress, started, params, make, None)
        load.resolve(main, params)
    outcomes = load.outcome_counts(main, params)
    if direct is not None:
        outcomes += direct.outcomes()
        log.debug("first load: %s resources loaded directly", f"{direct.loaded:,}")
    types = tally(pipeline.counts, outcomes)
    report = _report(run_id, sources, types, pipeline, options, vocab_version)
    report["direct"] = direct.loaded if direct is not None else 0  # rwe.etl.direct
    if report["reject_rate"] > options.max_reject_rate:
        message = (
            f"{report['rejected']:,} of {report['read']:,} resources were rejected "
            f"({report['reject_rate']:.2%}), above --max-reject-rate {options.max_reject_rate:.2%}"
        )
        if direct is not None:
            direct.undo(main, params)
        load.store_rejects(main, params)
        _finish(main, db, run_id, "failed", report, started, message + "; nothing was loaded")
        main.commit()
        raise RejectRateError(
            message,
            f"Nothing was loaded. See `rwe runs show {run_id} --rejects`, fix the input, "
            "or raise --max-reject-rate.",
            report,
        )
    report["merge_rows"] = load.merge(main, params)
    if direct is not None:
        for table, n in direct.rows.items():
            report["merge_rows"][f"insert_{table}"] += n
    load.store_rejects(main, params)
    for source in sources:
        commit_hook = getattr(source.batches, "on_commit", None)
        if callable(commit_hook):
            commit_hook(main, run_id)
    _finish(main, db, run_id, "succeeded", report, started, None)
    main.commit()
    log.info("run %d committed", run_id)
    return report


def _read(
    db: Database,
    main: psycopg.Connection,
    sources: list[Source],
    options: EtlOptions,
    progress: Progress | None,
    started: float,
    params: dict[str, str],
    make: Callable[[load.RowBuffer, Direct | None], Pipeline],
    direct: Direct | None,
) -> Pipeline:
    """Read, transform and stage every source (direct rows go to their tables)."""
    stager = load.Stager(main, params)
    pipeline = make(stager, direct)
    pool = None
    if (
        direct is None
        and options.workers > 1
        and _local_bytes(sources) >= options.parallel_min_bytes
    ):
        pool = WorkerPool(db, pipeline, stager, options.workers)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, load.SWITCH_INTERVAL))  # the writer thread's turn
    try:
        for file_no, source in enumerate(sources, start=1):
            stager.add("stg_file", (file_no, source.name))
            for batch in source.batches():
                if pool is not None and batch.lines:
                    pool.submit(batch, file_no)
                else:
                    pipeline.process(batch, file_no)
                if progress:
                    progress(source.name, batch.done, batch.total)
        if pool is not None:
            pool.drain()
    finally:
        sys.setswitchinterval(switch)
        if pool is not None:
            pool.close()
    log.debug("read and transformed in %.2f s", time.monotonic() - started)
    stager.close()
    log.debug("staged in %.2f s", time.monotonic() - started)
    return pipeline


def _all_local(sources: list[Source]) -> bool:
    """Sources that can be read again (files): a failed direct attempt reads them twice."""
    return all(Path(source.name).is_file() for source in sources)


def data_date(sources: list[Source]) -> str:
    """The date the input is current to: the latest `transactionTime` (UTC date) of the bulk
    export manifests read, else the run's UTC date. It is the imputed end of an exposure still
    ongoing (rwe/etl/README.md "Dates")."""
    dates = []
    for folder in {Path(s.name).parent for s in sources}:
        manifest = folder / "manifest.json"
        if not manifest.is_file():
            continue
        try:
            stamp = json.loads(manifest.read_text()).get("transactionTime")
            dates.append(parse_when(stamp, "manifest transactionTime").utc_date())
        except (OSError, ValueError, AttributeError):
            continue  # not a manifest we can read: the run's date applies
    if dates:
        return max(dates).isoformat()
    return dt.datetime.now(dt.UTC).date().isoformat()


def _local_bytes(sources: list[Source], gzip_ratio: int = 1) -> int:
    """Bytes of the local input files (compressed ones counted `gzip_ratio` times)."""
    total = 0
    for source in sources:
        path = Path(source.name)
        if path.is_file():
            total += path.stat().st_size * (gzip_ratio if path.suffix == ".gz" else 1)
    return total


def _report(
    run_id: int,
    sources: list[Source],
    types: dict[str, Any],
    pipeline: Pipeline,
    options: EtlOptions,
    vocab_version: str | None,
) -> dict[str, Any]:
    resources = {kind: c.as_dict() for kind, c in types.items()}
    read = sum(c["read"] for c in resources.values())
    rejected = sum(c["rejected"] for c in resources.values())
    vocab = pipeline.ctx.vocabulary
    return {
        "run_id": run_id,
        "status": "running",
        "inputs": [s.name for s in sources],
        "resources": resources,
        "read": read,
        "loaded": sum(c["loaded"] for c in resources.values()),
        "unchanged": sum(c["unchanged"] for c in resources.values()),
        "rejected": rejected,
        "excluded": sum(c["excluded"] for c in resources.values()),
        "deleted": sum(c["deleted"] for c in resources.values()),
        "reject_rate": rejected / read if read else 0.0,
        "max_reject_rate": options.max_reject_rate,
        "balanced": all(c["balanced"] for c in resources.values()),
        "unmapped_codes": [
            {"system": s, "code": c, "count": n}
            for (s, c), n in vocab.unmapped.most_common(TOP_UNMAPPED)
        ],
        "unmapped_units": [
            {"code": c, "count": n} for c, n in vocab.unmapped_units.most_common(TOP_UNMAPPED)
        ],
        "imputed_dates": dict(pipeline.ctx.imputed_dates),
        "notes": dict(pipeline.ctx.notes),
        "export_errors": pipeline.counts.export_errors,
        "versions": {
            "cdm": CDM_VERSION,
            "vocabulary": vocab_version,
            "rwe": __version__,
            "fhir": FHIR_VERSION,
        },
    }


def _finish(
    main: psycopg.Connection,
    db: Database,
    run_id: int,
    status: str,
    report: dict[str, Any],
    started: float,
    message: str | None,
) -> None:
    duration = time.monotonic() - started
    report["status"] = status
    report["duration_seconds"] = round(duration, 3)
    report["resources_per_second"] = round(report["read"] / duration, 1) if duration else 0.0
    if message:
        report["message"] = message
    main.execute(
        f"UPDATE {db.rwe_schema}.run SET status = %s, finished_at = now(), report = %s,"
        " message = %s WHERE run_id = %s",
        (status, json.dumps(report), message, run_id),
    )
