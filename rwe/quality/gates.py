"""`run_gates`: run the check catalogue against the database and store the outcome."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from psycopg import sql

from rwe.db.connection import Database
from rwe.db.migrate import require_schema
from rwe.quality.catalogue import Catalogue, Check, load_catalogue
from rwe.quality.regression import compare_metrics, gate_metrics
from rwe.quality.results import (
    CheckResult,
    GateReport,
    finish_gate_run,
    previous_metrics,
    start_gate_run,
)
from rwe.quality.validation import Outcome, Progress, run_expectations

log = logging.getLogger(__name__)


def run_gates(
    db: Database,
    run_id: int | None = None,
    *,
    catalogue: Catalogue | None = None,
    checks_file: Path | None = None,
    site_config: dict[str, Any] | None = None,
    docs_dir: Path | None = None,
    progress: Progress | None = None,
) -> GateReport:
    """Run every enabled check of the catalogue; store and return the results.

    * `run_id`: the rwe.run row of the ETL run being checked (stored with the gate run).
    * `catalogue`: a loaded catalogue, else the built-in one with `checks_file` (TOML) and
      `site_config` (the `[quality]` table of rwe.toml) applied.
    * `docs_dir`: write great-expectations Data Docs (HTML) there.

    Never raises for failing checks: call `report.raise_for_status()` to turn a fatal failure
    into `QualityGateError` (exit code 7). The ETL calls this after loading:

        report = run_gates(db, run_id=run_id)
        if not report.passed:  # mark rwe.run gate_failed, then
            report.raise_for_status()
    """
    started = time.monotonic()
    catalogue = catalogue or load_catalogue(checks_file, site_config)
    with db.connect() as conn:
        require_schema(conn, db)
    gate_run_id = start_gate_run(db, run_id, catalogue.sha256)
    checks = catalogue.enabled()
    reasons = _not_applicable(db, checks)
    runnable = [c for c in checks if c.check_id not in reasons]
    if progress:
        progress(f"{len(runnable)} checks to run, {len(reasons)} not applicable")
    t0 = time.monotonic()
    outcomes = run_expectations(db, runnable, docs_dir, progress) if runnable else {}
    timings = {"great_expectations_seconds": time.monotonic() - t0}
    results = [_result(c, outcomes.get(c.check_id), reasons.get(c.check_id)) for c in checks]
    metrics = gate_metrics(results, catalogue.regression)
    with db.connect() as conn:
        previous = previous_metrics(conn, db, gate_run_id)
    results.extend(compare_metrics(metrics, previous, catalogue.regression))
    docs_index = str(Path(docs_dir).resolve() / "index.html") if docs_dir and runnable else None
    report = GateReport(
        gate_run_id=gate_run_id,
        run_id=run_id,
        results=results,
        duration_seconds=time.monotonic() - started,
        docs_index=docs_index,
        timings=timings,
    )
    finish_gate_run(db, report, metrics)
    log.info(
        "gate run %d %s: %d checks, %d fatal and %d warn failures, %.1f s",
        gate_run_id,
        report.status,
        len(results),
        len(report.fatal_failures),
        len(report.warn_failures),
        report.duration_seconds,
    )
    return report


def _not_applicable(db: Database, checks: list[Check]) -> dict[str, str]:
    """DQD's "Not applicable": the check's table is missing or empty."""
    tables = sorted(
        {_qualified(db, c.table) for c in checks} | {t for c in checks for t in c.requires}
    )
    state: dict[str, str | None] = {}
    with db.connect() as conn:
        for table in tables:
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
            if not exists or not exists[0]:
                state[table] = f"table {table} does not exist"
                continue
            schema, name = table.split(".", 1)
            has_rows = conn.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {}.{})").format(
                    sql.Identifier(schema), sql.Identifier(name)
                )
            ).fetchone()
            state[table] = None if has_rows and has_rows[0] else f"table {table} is empty"
    reasons = {}
    for check in checks:
        for table in (_qualified(db, check.table), *check.requires):
            if state.get(table):
                reasons[check.check_id] = str(state[table])
                break
    return reasons


def _qualified(db: Database, table: str) -> str:
    return table if "." in table else f"{db.cdm_schema}.{table}"


def _result(check: Check, outcome: Outcome | None, na_reason: str | None) -> CheckResult:
    base = CheckResult(
        check_id=check.check_id,
        check_name=check.check_type,
        category=check.category,
        cdm_table_name=check.table,
        cdm_field_name=check.field,
        concept_id=check.concept_id,
        severity=check.severity,
        threshold_value=check.threshold,
        status="Not applicable",
        description=check.description,
    )
    if na_reason or outcome is None:
        return replace(base, not_applicable_reason=na_reason or "not run")
    if outcome.status == "Error":
        return replace(base, status="Error", error=outcome.error)
    violated, denominator = outcome.num_violated_rows, outcome.num_denominator_rows
    counted = replace(base, num_violated_rows=violated, num_denominator_rows=denominator)
    if not denominator:
        return replace(counted, not_applicable_reason="no rows to check")
    pct = 100.0 * (violated or 0) / denominator
    return replace(counted, status=outcome.status, pct_violated_rows=round(pct, 6))
