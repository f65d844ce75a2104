"""`rwe etl` and `rwe runs`: exit codes, the exact messages, the printed report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rwe.db.connection import Database
from rwe.errors import ExitCode
from tests.etl.helpers import write_ndjson
from tests.etl.test_nightly import patient, wbc


def rwe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rwe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=180,
    )


def test_etl_prints_report_and_runs_lists_it(cli_env: Database, tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in" / "all.ndjson", [patient("p1"), wbc("o1", "p1", 4.2)])
    result = rwe("etl", str(src))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("run 1: succeeded in ")
    assert lines[1] == "versions: cdm v5.4, vocabulary rwe seed 0.1.0, rwe 0.1.0, fhir 4.0.1"
    assert "Observation" in result.stdout and "rejects: 0 of 2 (0.00%; limit 5.00%)" in (
        result.stdout
    )
    listed = rwe("runs")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[1].split()[:3] == ["1", "etl", "succeeded"]
    shown = rwe("runs", "show", "1")
    assert shown.returncode == 0 and shown.stdout.startswith("run 1: succeeded")
    missing = rwe("runs", "show", "99")
    assert missing.returncode == ExitCode.BAD_INPUT
    assert missing.stderr.strip() == "Error: there is no run 99. List the runs with `rwe runs`."


def test_too_many_rejects_exit_3_and_nothing_loaded(cli_env: Database, tmp_path: Path) -> None:
    src = tmp_path / "bad.ndjson"
    src.write_text('{"resourceType": "Patient"}\nnot json\n')
    result = rwe("etl", str(src))
    assert result.returncode == ExitCode.BAD_INPUT
    assert " ".join(result.stderr.split()) == (
        "Error: 2 of 2 resources were rejected (100.00%), above --max-reject-rate 5.00%. "
        "Nothing was loaded. See `rwe runs show 1 --rejects`, fix the input, or raise "
        "--max-reject-rate."
    )
    shown = rwe("runs", "show", "1", "--rejects")
    assert f"{src}:1  Patient/-  structure: Patient.id is missing" in shown.stdout
    assert f"{src}:2  -/-  invalid JSON: " in shown.stdout


def test_missing_source_exit_3(cli_env: Database, tmp_path: Path) -> None:
    result = rwe("etl", str(tmp_path / "nope"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'nope'} does not exist. Pass NDJSON/JSON files or folders."
    )
