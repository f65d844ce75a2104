"""run_gates bookkeeping: statuses, overrides, regression flags, latest status, the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rwe.db.connection import Database
from rwe.errors import BadInputError, QualityGateError
from rwe.quality import Catalogue, latest_gate_status, load_catalogue, run_gates
from tests.quality.conftest import load_clean, only

RWE = Path(sys.executable).with_name("rwe")
PK_CHECKS = ["isPrimaryKey.person.person_id", "isPrimaryKey.measurement.measurement_id"]


def test_study_gates_not_applicable_without_study_tables(
    database: Database, catalogue: Catalogue
) -> None:
    load_clean(database, catalogue)
    with database.transaction() as conn:
        conn.execute("DROP SCHEMA study CASCADE")
    ids = [c.check_id for c in catalogue.checks if c.category == "Study"]
    report = run_gates(database, catalogue=only(catalogue, ids))
    status = {r.check_id: (r.status, r.not_applicable_reason) for r in report.results}
    assert status["studyStopReason.study.sorafenib_episode.stop_reason"] == (
        "Not applicable",
        "table study.sorafenib_episode does not exist",
    )
    assert status["studyMarkerRange.study.baseline_marker.lmr"][0] == "Not applicable"
    assert status["studyBaselineBloodCount.drug_exposure.drug_concept_id"][0] == "Passed"


def test_failing_fatal_check_blocks_and_is_stored(database: Database, catalogue: Catalogue) -> None:
    load_clean(database, catalogue)
    with database.transaction() as conn:
        conn.execute("UPDATE cdm.measurement SET person_id = 999 WHERE measurement_id = 1")
    report = run_gates(database, catalogue=only(catalogue, ["isForeignKey.measurement.person_id"]))
    assert not report.passed
    assert [r.check_id for r in report.fatal_failures] == ["isForeignKey.measurement.person_id"]
    with pytest.raises(QualityGateError) as err:
        report.raise_for_status()
    assert err.value.exit_code == 7
    status = latest_gate_status(database)
    assert status is not None and status.status == "failed"
    assert status.failed_fatal_checks == ("isForeignKey.measurement.person_id",)
    with database.connect() as conn:
        row = conn.execute(
            "SELECT status, num_violated_rows, num_denominator_rows, severity, threshold_value"
            " FROM rwe.quality_result WHERE gate_run_id = %s AND check_id = %s",
            (report.gate_run_id, "isForeignKey.measurement.person_id"),
        ).fetchone()
    assert row == ("Failed", 1, 32, "fatal", 0.0)


def test_site_override_downgrades_and_disables(
    database: Database, catalogue: Catalogue, tmp_path: Path
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[checks."isForeignKey.measurement.person_id"]\nseverity = "warn"\nthreshold = 50\n'
        '[checks."isPrimaryKey.person.person_id"]\nenabled = false\n'
        "[check_types.plausibleUnitConceptIds]\nthreshold = 10\n"
    )
    cat = load_catalogue(site)
    fk = cat.get("isForeignKey.measurement.person_id")
    assert (fk.severity, fk.threshold) == ("warn", 50.0)
    assert not cat.get("isPrimaryKey.person.person_id").enabled
    assert cat.get("plausibleUnitConceptIds.measurement.unit_concept_id.3000905").threshold == 10
    assert cat.sha256 != catalogue.sha256
    nested = load_catalogue(site_config={"checks": {"isPrimaryKey.person.person_id": {}}})
    assert nested.get("isPrimaryKey.person.person_id").enabled
    site.write_text('[checks."noSuchCheck.x"]\nseverity = "warn"\n')
    with pytest.raises(BadInputError, match=re.escape("unknown check 'noSuchCheck.x'")):
        load_catalogue(site)


def test_broken_check_sql_is_an_error_that_blocks(database: Database, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[[check]]\ntype = "isForeignKey"\ntable = "person"\nfields = ["no_such_column"]\n'
        'fk_table = "concept"\nfk_field = "concept_id"\n'
    )
    cat = load_catalogue(site)
    load_clean(database, cat)
    report = run_gates(database, catalogue=only(cat, ["isForeignKey.person.no_such_column"]))
    (result,) = [r for r in report.results if r.check_name != "regression"]
    assert result.status == "Error"
    assert result.error and "no_such_column" in result.error
    assert not report.passed


def test_regression_flags_a_row_count_jump(database: Database, catalogue: Catalogue) -> None:
    load_clean(database, catalogue)
    cat = only(catalogue, PK_CHECKS)
    first = run_gates(database, catalogue=cat)
    flags = {r.check_id: r.status for r in first.results if r.check_name == "regression"}
    assert flags == {
        "regression.row_count.measurement": "Not applicable",
        "regression.row_count.person": "Not applicable",
    }
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth,"
            " race_concept_id, ethnicity_concept_id) VALUES (3, 8507, 1980, 0, 0)"
        )
    second = run_gates(database, catalogue=cat)
    flags = {r.check_id: r.status for r in second.results if r.check_name == "regression"}
    # 2 -> 3 persons is +50 % (limit 20 %); measurement unchanged
    assert flags == {
        "regression.row_count.measurement": "Passed",
        "regression.row_count.person": "Failed",
    }
    assert second.passed  # regression flags warn by default
    with database.connect() as conn:
        metrics = dict(
            conn.execute(
                "SELECT metric_id, value FROM rwe.quality_metric WHERE gate_run_id = %s",
                (second.gate_run_id,),
            ).fetchall()
        )
    assert metrics["row_count.person"] == 3


def test_latest_gate_status_none_before_any_run(database: Database) -> None:
    assert latest_gate_status(database) is None


def test_cli_fatal_failure_exits_7_with_summary_results_and_docs(
    cli_env: Database, catalogue: Catalogue, tmp_path: Path
) -> None:
    load_clean(cli_env, catalogue)
    with cli_env.transaction() as conn:
        conn.execute("UPDATE cdm.measurement SET person_id = 999 WHERE measurement_id = 1")
    site = tmp_path / "only_some.toml"
    keep = {"isForeignKey.measurement.person_id", "isPrimaryKey.person.person_id"}
    site.write_text(
        "".join(
            f'[checks."{c.check_id}"]\nenabled = false\n'
            for c in catalogue.checks
            if c.check_id not in keep
        )
    )
    docs = tmp_path / "docs"
    proc = subprocess.run(
        [str(RWE), "quality", "check", "--checks", str(site), "--docs", str(docs)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )
    assert proc.returncode == 7, proc.stderr
    assert re.search(
        r"isForeignKey\.measurement\.person_id\s*│ Failed\s*│ 1\s*│ 3\.12 │ 0\s*│ fatal",
        proc.stdout,
    ), proc.stdout
    assert "Gate run 1: FAILED" in proc.stdout
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "Error: 1 fatal data-quality check(s) failed in gate run 1: "
            "isForeignKey.measurement.person_id."
        )
    )
    assert (docs / "index.html").is_file()
    assert list(docs.glob("validations/**/*.html"))
    with cli_env.connect() as conn:
        rows = conn.execute(
            "SELECT check_id, status FROM rwe.quality_result WHERE gate_run_id = 1"
            " AND check_name <> 'regression' ORDER BY check_id"
        ).fetchall()
    assert rows == [
        ("isForeignKey.measurement.person_id", "Failed"),
        ("isPrimaryKey.person.person_id", "Passed"),
    ]
