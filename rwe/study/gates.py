"""What `rwe analyze` does with the latest quality-gate run: refuse failed data, always report."""

from __future__ import annotations

from rwe.db.connection import Database
from rwe.errors import QualityGateError
from rwe.quality.results import latest_gate_status


def gate_status_for_analysis(db: Database, ignore_gates: bool) -> str:
    """A one-line gate status for the report; raises when the latest gate failed.

    Data that never went through the gates is analysed, and the report says so.
    """
    status = latest_gate_status(db)
    if status is None:
        return "not run (no quality-gate run recorded on this database)"
    when = f"{status.finished_at:%Y-%m-%d %H:%M}"
    line = (
        f"{status.status} (gate run {status.gate_run_id} at {when}: {status.checks_total} "
        f"checks, {status.fatal_failed} fatal failed, {status.warn_failed} warnings)"
    )
    if not status.passed:
        failed = ", ".join(status.failed_fatal_checks) or "see `rwe quality check`"
        if not ignore_gates:
            raise QualityGateError(
                f"the latest quality-gate run ({status.gate_run_id}, {when}) failed: {failed}",
                "Fix the data and rerun the gates, or pass --ignore-gates (the report says so).",
            )
        line += f"; analysed anyway with --ignore-gates (failed: {failed})"
    return line
