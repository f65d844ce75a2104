"""Gate results: the row types and their storage in rwe.quality_gate_run / quality_result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from rwe import __version__
from rwe.db.connection import Database
from rwe.errors import QualityGateError

STATUSES = ("Passed", "Failed", "Not applicable", "Error")


@dataclass(frozen=True)
class CheckResult:
    """One row of rwe.quality_result: a check's outcome in one gate run."""

    check_id: str
    check_name: str  # the DQD check type
    category: str
    cdm_table_name: str
    cdm_field_name: str | None
    concept_id: int | None
    severity: str
    threshold_value: float
    status: str
    description: str
    num_violated_rows: int | None = None
    num_denominator_rows: int | None = None
    pct_violated_rows: float | None = None
    not_applicable_reason: str | None = None
    error: str | None = None

    @property
    def blocks(self) -> bool:
        """A fatal check that failed, or could not run, blocks the data."""
        return self.severity == "fatal" and self.status in ("Failed", "Error")


@dataclass
class GateReport:
    """The outcome of `run_gates`: one `CheckResult` per check and the overall status."""

    gate_run_id: int
    run_id: int | None
    results: list[CheckResult]
    duration_seconds: float
    docs_index: str | None = None  # Data Docs index.html, when written
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.fatal_failures

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def fatal_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def warn_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.severity == "warn" and r.status in ("Failed", "Error")]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def raise_for_status(self) -> None:
        """Raise `QualityGateError` (exit code 7) when a fatal check failed."""
        if self.passed:
            return
        names = ", ".join(r.check_id for r in self.fatal_failures[:5])
        more = len(self.fatal_failures) - 5
        raise QualityGateError(
            f"{len(self.fatal_failures)} fatal data-quality check(s) failed in gate run "
            f"{self.gate_run_id}: {names}" + (f" and {more} more" if more > 0 else ""),
            "Fix the data or the ETL, or downgrade the check with --checks FILE "
            "(see `rwe quality list`); details are in rwe.quality_result.",
        )


@dataclass(frozen=True)
class GateStatus:
    """The latest finished gate run, as `rwe analyze` and reports show it."""

    gate_run_id: int
    run_id: int | None
    status: str  # passed or failed
    finished_at: dt.datetime
    checks_total: int
    fatal_failed: int
    warn_failed: int
    errors: int
    failed_fatal_checks: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def start_gate_run(db: Database, run_id: int | None, catalogue_sha256: str) -> int:
    rwe = sql.Identifier(db.rwe_schema)
    with db.transaction() as conn:
        row = conn.execute(
            sql.SQL(
                "INSERT INTO {}.quality_gate_run (run_id, status, catalogue_sha256, rwe_version)"
                " VALUES (%s, 'running', %s, %s) RETURNING gate_run_id"
            ).format(rwe),
            (run_id, catalogue_sha256, __version__),
        ).fetchone()
    assert row is not None
    return int(row[0])


def finish_gate_run(db: Database, report: GateReport, metrics: dict[str, float]) -> None:
    """Store the results and metrics and close the gate run, in one transaction."""
    rwe = sql.Identifier(db.rwe_schema)
    with db.transaction() as conn:
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {}.quality_result (gate_run_id, check_id, check_name, category,"
                    " cdm_table_name, cdm_field_name, concept_id, severity, threshold_value,"
                    " status, num_violated_rows, num_denominator_rows, pct_violated_rows,"
                    " not_applicable_reason, error, description) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(rwe),
                [_row(report.gate_run_id, r) for r in report.results],
            )
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {}.quality_metric (gate_run_id, metric_id, value)"
                    " VALUES (%s, %s, %s)"
                ).format(rwe),
                [(report.gate_run_id, k, v) for k, v in sorted(metrics.items())],
            )
        conn.execute(
            sql.SQL(
                "UPDATE {}.quality_gate_run SET status = %s, finished_at = now(),"
                " checks_total = %s, fatal_failed = %s, warn_failed = %s, errors = %s,"
                " duration_seconds = %s WHERE gate_run_id = %s"
            ).format(rwe),
            (
                report.status,
                len(report.results),
                len(report.fatal_failures),
                len(report.warn_failures),
                report.count("Error"),
                report.duration_seconds,
                report.gate_run_id,
            ),
        )


def _row(gate_run_id: int, r: CheckResult) -> tuple[object, ...]:
    return (
        gate_run_id,
        r.check_id,
        r.check_name,
        r.category,
        r.cdm_table_name,
        r.cdm_field_name,
        r.concept_id,
        r.severity,
        r.threshold_value,
        r.status,
        r.num_violated_rows,
        r.num_denominator_rows,
        r.pct_violated_rows,
        r.not_applicable_reason,
        r.error,
        r.description,
    )


def previous_metrics(conn: psycopg.Connection, db: Database, gate_run_id: int) -> dict[str, float]:
    """The metrics of the latest finished gate run before `gate_run_id` (empty when none)."""
    rwe = sql.Identifier(db.rwe_schema)
    rows = conn.execute(
        sql.SQL(
            "SELECT m.metric_id, m.value FROM {}.quality_metric AS m WHERE m.gate_run_id = ("
            " SELECT max(g.gate_run_id) FROM {}.quality_gate_run AS g"
            " WHERE g.gate_run_id < %s AND g.finished_at IS NOT NULL)"
        ).format(rwe, rwe),
        (gate_run_id,),
    ).fetchall()
    return {str(k): float(v) for k, v in rows}


def latest_gate_status(db: Database) -> GateStatus | None:
    """The latest finished gate run on `db`, or None when the gates never ran.

    `rwe analyze` refuses data whose latest gate failed (unless --ignore-gates) and prints
    this status in its report either way.
    """
    rwe = sql.Identifier(db.rwe_schema)
    with db.connect() as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT gate_run_id, run_id, status, finished_at, checks_total, fatal_failed,"
                " warn_failed, errors FROM {}.quality_gate_run WHERE finished_at IS NOT NULL"
                " ORDER BY gate_run_id DESC LIMIT 1"
            ).format(rwe)
        ).fetchone()
        if row is None:
            return None
        failed = conn.execute(
            sql.SQL(
                "SELECT check_id FROM {}.quality_result WHERE gate_run_id = %s"
                " AND severity = 'fatal' AND status IN ('Failed', 'Error') ORDER BY check_id"
            ).format(rwe),
            (row[0],),
        ).fetchall()
    return GateStatus(
        gate_run_id=int(row[0]),
        run_id=row[1],
        status=str(row[2]),
        finished_at=row[3],
        checks_total=int(row[4]),
        fatal_failed=int(row[5]),
        warn_failed=int(row[6]),
        errors=int(row[7]),
        failed_fatal_checks=tuple(str(r[0]) for r in failed),
    )
