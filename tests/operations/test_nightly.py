"""`rwe nightly` and `rwe status`: the unattended job, its lock, its summary, no PHI in logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from rwe.db.connection import Database
from rwe.errors import ExitCode
from rwe.nightly import NIGHTLY_LOCK
from rwe.synth.export import SynthOptions, synthesize

MARK = "ZZPHI"  # planted in names, identifiers, addresses and free text


def rwe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rwe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


def _phi_file(path: Path) -> Path:
    """Resources carrying PHI in every free-text place, valid and broken ones."""
    patient = {
        "resourceType": "Patient",
        "id": "phi-1",
        "meta": {"lastUpdated": "2021-01-01T00:00:00Z"},
        "gender": "female",
        "birthDate": "1950-02-03",
        "name": [{"family": f"{MARK}Family", "given": [f"{MARK}Given"]}],
        "identifier": [{"system": "urn:mrn", "value": f"{MARK}-MRN-123"}],
        "address": [{"line": [f"{MARK} Street 1"], "city": f"{MARK}ville"}],
        "telecom": [{"system": "phone", "value": f"{MARK}-555"}],
    }
    observation = {
        "resourceType": "Observation",
        "id": "phi-obs",
        "status": "final",
        "meta": {"lastUpdated": "2021-01-01T00:00:00Z"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "731-0"}], "text": MARK},
        "subject": {"reference": "Patient/phi-1", "display": f"{MARK} Display"},
        "effectiveDateTime": "2021-01-02T10:00:00Z",
        "valueQuantity": {"value": 1.5, "system": "http://unitsofmeasure.org", "code": "10*3/uL"},
        "note": [{"text": f"{MARK} free text note"}],
    }
    broken = dict(patient, id="phi-2", gender=f"{MARK}-not-a-gender", birthDate=f"{MARK}")
    # Resource ids are printed by design (file, line, id); the reference's display is free text.
    bad_ref = dict(
        observation,
        id="phi-obs-2",
        subject={"reference": "Patient/nowhere", "display": f"{MARK} Display"},
    )
    lines = [patient, observation, broken, bad_ref]
    path.write_text("\n".join(json.dumps(r) for r in lines) + f"\n{{not json {MARK}\n")
    return path


@pytest.fixture
def nightly_env(cli_env: Database, tmp_path: Path) -> dict[str, str]:
    synthesize(tmp_path / "export", SynthOptions(preset="dtc-2021", patients=20, seed=3))
    phi = _phi_file(tmp_path / "phi.ndjson")
    (tmp_path / "rwe.toml").write_text(
        f'[nightly]\nsources = ["{tmp_path / "export"}", "{phi}"]\nmax_reject_rate = 0.5\n'
        f'report_dir = "{tmp_path / "reports"}"\n'
    )
    return {"RWE_DATABASE_URL": cli_env.url, "RWE_CONFIG": str(tmp_path / "rwe.toml")}


def test_nightly_runs_the_whole_job_without_phi_in_any_output(
    nightly_env: dict[str, str], tmp_path: Path
) -> None:
    result = rwe("-v", "nightly", "--json-log", env=nightly_env)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("rwe nightly: SUCCEEDED: run 1; read ")
    assert "gates passed" in last and "report " in last
    assert list((tmp_path / "reports").glob("*/report.html"))
    for line in result.stderr.splitlines():
        json.loads(line)  # --json-log: every log line is one JSON object
    assert MARK not in result.stdout + result.stderr
    status = rwe("status", env=nightly_env)
    assert status.returncode == 0
    assert "Last run 1 (etl): succeeded" in status.stdout and "OK" in status.stdout
    shown = rwe("runs", "show", "1", "--rejects", env=nightly_env)
    assert shown.returncode == 0 and "phi.ndjson" in shown.stdout
    assert MARK not in shown.stdout + shown.stderr


def test_second_nightly_refuses_while_one_runs(
    nightly_env: dict[str, str], cli_env: Database
) -> None:
    with psycopg.connect(cli_env.url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (NIGHTLY_LOCK,))
        result = rwe("nightly", env=nightly_env)
    assert result.returncode == ExitCode.LOCKED
    assert result.stdout.startswith(
        "rwe nightly: FAILED: no run; Error: another `rwe nightly` is running on this database. "
        "Let it finish; check `rwe status` and `rwe runs`.; "
    )
    assert result.stdout.strip().endswith(" s, exit 8")
    with cli_env.connect() as conn:  # nothing was loaded
        assert conn.execute("SELECT count(*) FROM cdm.person").fetchone() == (0,)


def test_nightly_without_configuration_says_what_to_add(cli_env: Database, tmp_path: Path) -> None:
    (tmp_path / "rwe.toml").write_text("[database]\n")
    result = rwe("nightly", env={"RWE_DATABASE_URL": cli_env.url})
    assert result.returncode == ExitCode.BAD_INPUT
    assert "rwe.toml has no [nightly] sources" in result.stderr


def test_status_before_any_run(cli_env: Database) -> None:
    result = rwe("status", env={"RWE_DATABASE_URL": cli_env.url})
    assert result.returncode == 1
    assert "No run yet" in result.stdout
