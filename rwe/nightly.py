"""The nightly job: extract → load → derive → quality gates → (optionally) the study report.

`rwe etl` runs the load, derive and gate steps; `rwe nightly` adds the lock across the whole
job, the configuration from rwe.toml, the study report and one summary line for cron's mail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from rwe.config import Settings
from rwe.db.connection import Database
from rwe.derive.runner import refresh
from rwe.errors import BadInputError, ExitCode, LockedError, RweError
from rwe.etl.run import EtlOptions, run_etl
from rwe.quality import gates

log = logging.getLogger(__name__)
NIGHTLY_LOCK = 0x72776510  # session advisory lock: one nightly job per database


@dataclass
class PostLoad:
    """What happened after a load: derive and gates."""

    derive_seconds: float
    derive_mode: dict[str, str]
    gates_passed: bool
    gate_status: str  # passed, failed, or "not run"
    fatal_failed: list[str] = field(default_factory=list)
    warn_failed: int = 0
    docs_index: str | None = None

    def line(self) -> str:
        modes = ", ".join(f"{k} {v}" for k, v in self.derive_mode.items())
        gates = (
            f"gates {self.gate_status} ({len(self.fatal_failed)} fatal, {self.warn_failed} warn"
            " failures)"
            if self.gate_status != "not run"
            else "gates not run (--no-gates)"
        )
        return f"derived ({modes}) in {self.derive_seconds:.1f} s; {gates}"


def after_load(
    db: Database,
    run_id: int | None,
    checks_file: Path | None = None,
    docs_dir: Path | None = None,
    run_gates: bool = True,
) -> PostLoad:
    """Refresh the derived tables, then run the gates; a fatal failure marks the run failed.

    Raises `QualityGateError` (exit 7) after recording the outcome when a fatal gate fails.
    """
    summary = refresh(db)
    post = PostLoad(
        derive_seconds=summary.total_seconds,
        derive_mode=dict(summary.mode),
        gates_passed=True,
        gate_status="not run",
    )
    if run_gates:
        report = gates.run_gates(db, run_id, checks_file=checks_file, docs_dir=docs_dir)
        post.gates_passed, post.gate_status = report.passed, report.status
        post.fatal_failed = [r.check_id for r in report.fatal_failures]
        post.warn_failed = len(report.warn_failures)
        post.docs_index = report.docs_index
    if run_id is not None:
        _record(db, run_id, post)
    if run_gates:
        report.raise_for_status()
    return post


def _record(db: Database, run_id: int, post: PostLoad) -> None:
    """Add derive and gate results to the run's report; a failed gate marks the run."""
    extra = {
        "derive": {"seconds": post.derive_seconds, "mode": post.derive_mode},
        "gates": {
            "status": post.gate_status,
            "fatal_failed": post.fatal_failed,
            "warn_failed": post.warn_failed,
        },
    }
    status = "succeeded" if post.gates_passed else "gate_failed"
    with db.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {}.run SET report = report || %s::jsonb,"
                " status = CASE WHEN status = 'succeeded' THEN %s ELSE status END"
                " WHERE run_id = %s"
            ).format(sql.Identifier(db.rwe_schema)),
            (json.dumps(extra), status, run_id),
        )


@dataclass(frozen=True)
class NightlyConfig:
    """`[nightly]` in rwe.toml."""

    sources: list[str]
    max_reject_rate: float = 0.05
    wait: bool = False
    bulk_export: bool = False
    token_env: str = "RWE_FHIR_TOKEN"
    report_dir: Path | None = None  # write the sorafenib report to report_dir/YYYY-MM-DD
    checks_file: Path | None = None
    docs_dir: Path | None = None


def nightly_config(settings: Settings) -> NightlyConfig:
    """Read `[nightly]` (and `[quality] checks`) from the configuration file."""
    section = settings.extra.get("nightly")
    where = settings.config_file or "rwe.toml"
    if not isinstance(section, dict) or not section.get("sources"):
        raise BadInputError(
            f"{where} has no [nightly] sources",
            'Add e.g. [nightly] sources = ["/data/fhir/latest"] (see the README, Operations).',
        )
    known = {
        "sources",
        "max_reject_rate",
        "wait",
        "bulk_export",
        "token_env",
        "report_dir",
        "docs_dir",
    }
    unknown = set(section) - known
    if unknown:
        raise BadInputError(
            f"{where}: unknown [nightly] key(s) {', '.join(sorted(unknown))}",
            f"Use only {', '.join(sorted(known))}.",
        )
    quality = settings.extra.get("quality", {})
    return NightlyConfig(
        sources=[str(s) for s in section["sources"]],
        max_reject_rate=float(section.get("max_reject_rate", 0.05)),
        wait=bool(section.get("wait", False)),
        bulk_export=bool(section.get("bulk_export", False)),
        token_env=str(section.get("token_env", "RWE_FHIR_TOKEN")),
        report_dir=Path(section["report_dir"]) if section.get("report_dir") else None,
        checks_file=Path(quality["checks"]) if quality.get("checks") else None,
        docs_dir=Path(section["docs_dir"]) if section.get("docs_dir") else None,
    )


@dataclass
class NightlySummary:
    status: str = "failed"
    exit_code: int = int(ExitCode.FAILURE)
    run_id: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    post: PostLoad | None = None
    report: Path | None = None
    error: str | None = None
    seconds: float = 0.0

    def line(self) -> str:
        """One line for the mail a cron job sends."""
        head = f"rwe nightly: {self.status.upper()}"
        parts = [f"run {self.run_id}" if self.run_id is not None else "no run"]
        if self.counts:
            c = self.counts
            parts.append(
                f"read {c.get('read', 0):,}, loaded {c.get('loaded', 0):,}, unchanged "
                f"{c.get('unchanged', 0):,}, rejected {c.get('rejected', 0):,}, deleted "
                f"{c.get('deleted', 0):,}"
            )
        if self.post:
            parts.append(
                f"gates {self.post.gate_status} ({len(self.post.fatal_failed)} fatal, "
                f"{self.post.warn_failed} warn)"
            )
        if self.report:
            parts.append(f"report {self.report}")
        if self.error:
            parts.append(self.error)
        parts.append(f"{self.seconds:.0f} s, exit {self.exit_code}")
        return f"{head}: " + "; ".join(parts)


def run_nightly(db: Database, config: NightlyConfig) -> NightlySummary:
    """The whole job under one lock; never raises for an expected failure (see `exit_code`)."""
    started = time.monotonic()
    summary = NightlySummary()
    try:
        with db.connect(autocommit=True) as lock:
            got = lock.execute("SELECT pg_try_advisory_lock(%s)", (NIGHTLY_LOCK,)).fetchone()
            if not got or not got[0]:
                raise LockedError(
                    "another `rwe nightly` is running on this database",
                    "Let it finish; check `rwe status` and `rwe runs`.",
                )
            _steps(db, config, summary)
    except RweError as exc:
        summary.status = "failed" if exc.exit_code != ExitCode.QUALITY_GATE else "gate_failed"
        summary.exit_code = int(exc.exit_code)
        summary.error = exc.render()
    summary.seconds = time.monotonic() - started
    return summary


def _steps(db: Database, config: NightlyConfig, summary: NightlySummary) -> None:
    options = EtlOptions(
        max_reject_rate=config.max_reject_rate,
        wait=config.wait,
        bulk_export=config.bulk_export,
        token_env=config.token_env,
    )
    log.info("nightly: loading %d source(s)", len(config.sources))
    report = run_etl(db, config.sources, options)
    summary.run_id = int(report["run_id"])
    summary.counts = {
        k: report.get(k, 0)
        for k in ("read", "loaded", "unchanged", "rejected", "excluded", "deleted")
    }
    log.info("nightly: run %d loaded; deriving and running the gates", summary.run_id)
    summary.post = after_load(db, summary.run_id, config.checks_file, config.docs_dir)
    if config.report_dir:
        from rwe.study.gates import gate_status_for_analysis
        from rwe.study.options import SorafenibOptions
        from rwe.study.sorafenib import analyze_sorafenib

        out = config.report_dir / dt.date.today().isoformat()
        status = gate_status_for_analysis(db, ignore_gates=False)
        result = analyze_sorafenib(db, SorafenibOptions(), out, status)
        summary.report = result.files["report.html"]
    summary.status, summary.exit_code = "succeeded", int(ExitCode.OK)
