"""CLI of the foundation: exit codes and the exact messages users see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rwe.db.connection import Database
from rwe.errors import ExitCode


def rwe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rwe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_unreachable_database_exit_code_and_message(tmp_path: Path) -> None:
    url = "postgresql://someone:secret@127.0.0.1:1/nothing"
    result = rwe("--database-url", url, "db", "status")
    assert result.returncode == ExitCode.DATABASE_UNREACHABLE
    assert result.stderr.startswith(
        "Error: cannot connect to the database at postgresql://someone:***@127.0.0.1:1/nothing"
    )
    assert "secret" not in result.stderr + result.stdout
    assert "unset them all to use the embedded server." in result.stderr


def test_schema_missing_says_run_db_init(empty_database: Database, tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    result = rwe("vocab", "load", str(tmp_path / "v"), env={"RWE_DATABASE_URL": empty_database.url})
    assert result.returncode == ExitCode.SCHEMA
    assert result.stderr.strip().endswith("has no rwe schema (rwe). Run `rwe db init` first.")


def test_init_then_init_again_and_status(empty_database: Database) -> None:
    env = {"RWE_DATABASE_URL": empty_database.url}
    first = rwe("db", "init", env=env)
    assert first.returncode == 0, first.stderr
    assert "loaded the built-in seed vocabulary: 126 concepts" in first.stdout
    second = rwe("db", "init", env=env)
    assert second.returncode == 0
    assert "is up to date; nothing changed." in " ".join(second.stdout.split())
    status = rwe("db", "status", env=env)
    assert status.returncode == 0
    assert "(current)" in status.stdout
    assert "rwe seed 0.1.0 (126 concepts" in " ".join(status.stdout.split())


def test_bad_vocabulary_file_exit_code(cli_env: Database, tmp_path: Path) -> None:
    folder = tmp_path / "athena"
    folder.mkdir()
    (folder / "CONCEPT.csv").write_text("concept_id\tconcept_nam\n1\tx\n")
    (folder / "VOCABULARY.csv").write_text("vocabulary_id\n")
    result = rwe("vocab", "load", str(folder))
    assert result.returncode == ExitCode.VOCABULARY
    assert "CONCEPT.csv, line 1: unknown column(s) concept_nam for CONCEPT" in " ".join(
        result.stderr.split()
    )


def test_help_lists_exit_codes() -> None:
    result = rwe("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "4 database unreachable" in text
    assert "7 a fatal quality gate failed" in text
