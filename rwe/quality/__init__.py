"""Data-quality gates (great-expectations) over the OMOP tables.

Library API (the CLI `rwe quality check` is a thin wrapper):

* `run_gates(db, run_id=None, ...) -> GateReport`: run the check catalogue, store one row per
  check in rwe.quality_result, write Data Docs; `report.raise_for_status()` raises
  `QualityGateError` (exit 7) when a fatal check failed.
* `latest_gate_status(db) -> GateStatus | None`: the latest finished gate run.
* `load_catalogue(checks_file, site_config) -> Catalogue`: the checks with site overrides.
"""

from rwe.quality.catalogue import Catalogue, Check, load_catalogue
from rwe.quality.gates import run_gates
from rwe.quality.results import CheckResult, GateReport, GateStatus, latest_gate_status

__all__ = [
    "Catalogue",
    "Check",
    "CheckResult",
    "GateReport",
    "GateStatus",
    "latest_gate_status",
    "load_catalogue",
    "run_gates",
]
