"""Where the database comes from: flag, then RWE_DATABASE_URL, then rwe.toml, else embedded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rwe.config import load_settings, mask_url
from rwe.errors import BadInputError


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("RWE_DATABASE_URL", "RWE_CONFIG", "RWE_CDM_SCHEMA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RWE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_precedence_flag_env_toml_embedded(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().embedded
    assert load_settings().data_dir == clean_env / "data"
    (clean_env / "rwe.toml").write_text('[database]\nurl = "postgresql://toml/db"\n')
    assert (load_settings().database_url, load_settings().source) == (
        "postgresql://toml/db",
        "rwe.toml",
    )
    monkeypatch.setenv("RWE_DATABASE_URL", "postgresql://env/db")
    assert load_settings().source == "env"
    flagged = load_settings(database_url="postgresql://flag/db")
    assert (flagged.database_url, flagged.source) == ("postgresql://flag/db", "flag")


def test_schema_name_must_be_an_identifier(clean_env: Path) -> None:
    with pytest.raises(BadInputError, match="is not a plain SQL identifier"):
        load_settings(cdm_schema="cdm; drop table person")


def test_bad_toml_and_missing_config_are_explained(clean_env: Path) -> None:
    (clean_env / "rwe.toml").write_text("[database\n")
    with pytest.raises(BadInputError, match=r"rwe\.toml is not valid TOML"):
        load_settings()
    with pytest.raises(BadInputError, match="does not exist"):
        load_settings(config_file=clean_env / "nope.toml")


def test_mask_url_hides_password() -> None:
    assert mask_url("postgresql://u:p%40ss@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_embedded_server_starts_on_demand_is_reused_and_stops(clean_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RWE_DATABASE_URL"}

    def rwe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rwe", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
        )

    init = rwe("db", "init")
    assert init.returncode == 0, init.stderr
    status = rwe("db", "status")
    assert status.returncode == 0
    text = " ".join(status.stdout.split())
    assert f"embedded server, data in {clean_env / 'data' / 'postgres'}" in text
    assert "PostgreSQL 18" in text
    stop = rwe("db", "stop")
    assert "Stopped the embedded server" in stop.stdout
    assert "was not running" in rwe("db", "stop").stdout
    # The next command starts it again and finds the data kept.
    again = rwe("db", "init")
    assert "nothing changed" in " ".join(again.stdout.split())
    rwe("db", "stop")
