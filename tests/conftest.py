"""Test fixtures: a real PostgreSQL (embedded, or the server in RWE_DATABASE_URL).

Each test that needs a database gets a fresh one, cloned from a template that `rwe db init`
prepared once per session, so tests never see each other's rows and can run concurrently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

from rwe.db.connection import Database
from rwe.db.lifecycle import init_database

# CI runs each property test on the same examples every time (a failure found by a
# developer's random run becomes a regression test); locally, hypothesis explores at random.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# The embedded test server lives outside the repository and is left running for the next
# session (concurrent pytest runs share it; each test has its own database).
TEST_DATA_DIR = Path(os.environ.get("RWE_TEST_DATA_DIR", f"/tmp/rwe-test-{os.getuid()}"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{path} is absent: ../shared sits beside the repository only for developers/CI"
        )
    return path


@pytest.fixture(scope="session")
def admin_url() -> str:
    """A URL to a maintenance database on the test server (may create databases)."""
    external = os.environ.get("RWE_DATABASE_URL")
    if external:
        return external
    from rwe.db.embedded import start_embedded

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return start_embedded(TEST_DATA_DIR, "postgres")


def _create_database(admin: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(stmt)
    return make_conninfo(admin, dbname=name)


def _drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    """A database initialised by `rwe db init` once per session; tests clone it."""
    name = f"rwe_tpl_{uuid.uuid4().hex[:10]}"
    url = _create_database(admin_url, name)
    init_database(Database(url=url))
    yield name
    _drop_database(admin_url, name)


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[Database]:
    """A fresh, empty database (no rwe schema)."""
    name = f"rwe_t_{uuid.uuid4().hex[:12]}"
    url = _create_database(admin_url, name)
    yield Database(url=url)
    _drop_database(admin_url, name)


def fresh_database(admin_url: str, template_database: str) -> Iterator[Database]:
    """A fresh database cloned from the template, dropped after (for fixtures)."""
    name = f"rwe_t_{uuid.uuid4().hex[:12]}"
    url = _create_database(admin_url, name, template=template_database)
    yield Database(url=url)
    _drop_database(admin_url, name)


@pytest.fixture
def database(admin_url: str, template_database: str) -> Iterator[Database]:
    """A fresh database with rwe's schema and the seed vocabulary."""
    yield from fresh_database(admin_url, template_database)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> Database:
    """Point the CLI at `database` (as a user would with RWE_DATABASE_URL)."""
    monkeypatch.setenv("RWE_DATABASE_URL", database.url)
    monkeypatch.setenv("RWE_DATA_DIR", str(tmp_path / "rwe-data"))
    monkeypatch.delenv("RWE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return database
