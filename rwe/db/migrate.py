"""Versioned, idempotent schema migrations (`rwe/sql/migrations/NNNN_name.sql`)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from rwe import __version__
from rwe.db.connection import Database
from rwe.db.sqlfiles import SQL_ROOT, render_sql
from rwe.errors import SchemaError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_ROOT / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# One advisory-lock key for schema changes, so two `rwe db init` never interleave.
_MIGRATION_LOCK = 0x72776501
OMOP_READER_ROLE = "rwe_omop_reader"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def list_migrations() -> list[Migration]:
    """All migrations shipped with this rwe, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise SchemaError(f"migration file {path.name} is misnamed", "Name it NNNN_name.sql.")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    return found


def latest_version() -> int:
    return max(m.version for m in list_migrations())


def schema_params(db: Database) -> dict[str, str]:
    """The `@name` parameters every rwe SQL file may use."""
    return {"cdm": db.cdm_schema, "rwe": db.rwe_schema}


def current_version(conn: psycopg.Connection, db: Database) -> int | None:
    """The highest applied migration, or None when rwe's schema does not exist."""
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{db.rwe_schema}.schema_migration",)
    ).fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        sql.SQL("SELECT max(version) FROM {}.schema_migration").format(
            sql.Identifier(db.rwe_schema)
        )
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def require_schema(conn: psycopg.Connection, db: Database) -> int:
    """Raise `SchemaError` unless the database has rwe's current schema."""
    version = current_version(conn, db)
    latest = latest_version()
    if version is None:
        raise SchemaError(
            f"the database at {db.display_url} has no rwe schema ({db.rwe_schema})",
            "Run `rwe db init` first.",
        )
    applied = {
        int(r[0])
        for r in conn.execute(
            sql.SQL("SELECT version FROM {}.schema_migration").format(sql.Identifier(db.rwe_schema))
        ).fetchall()
    }
    missing = sorted({m.version for m in list_migrations()} - applied)
    if missing and version >= latest:
        raise SchemaError(
            f"the database schema lacks migration(s) {', '.join(f'{v:04d}' for v in missing)}",
            "Run `rwe db upgrade`.",
        )
    if version < latest:
        raise SchemaError(
            f"the database schema is at version {version}, older than this rwe ({latest})",
            "Run `rwe db upgrade`.",
        )
    if version > latest:
        raise SchemaError(
            f"the database schema is at version {version}, newer than this rwe ({latest})",
            "Upgrade rwe (pip install -U rwe).",
        )
    return version


def apply_migrations(db: Database) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return those applied."""
    params = schema_params(db)
    applied: list[Migration] = []
    with db.connect(autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            _bootstrap(conn, db)
            done: dict[int, str] = dict(
                conn.execute(
                    sql.SQL("SELECT version, checksum FROM {}.schema_migration").format(
                        sql.Identifier(db.rwe_schema)
                    )
                ).fetchall()
            )
            for migration in list_migrations():
                if migration.version in done:
                    _check_unchanged(migration, done[migration.version])
                    continue
                text = render_sql(migration.path.read_text(), params, migration.path.name)
                with conn.transaction():
                    conn.execute(text.encode())
                    conn.execute(
                        sql.SQL(
                            "INSERT INTO {}.schema_migration (version, name, checksum, rwe_version)"
                            " VALUES (%s, %s, %s, %s)"
                        ).format(sql.Identifier(db.rwe_schema)),
                        (migration.version, migration.name, migration.checksum, __version__),
                    )
                log.info("applied migration %04d_%s", migration.version, migration.name)
                applied.append(migration)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied


def _bootstrap(conn: psycopg.Connection, db: Database) -> None:
    rwe = sql.Identifier(db.rwe_schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(rwe))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_migration ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
            " rwe_version TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        ).format(rwe)
    )


def _check_unchanged(migration: Migration, recorded: str) -> None:
    if migration.checksum != recorded:
        raise SchemaError(
            f"migration {migration.path.name} differs from the one applied to this database",
            "Released migrations must never change: add a new migration instead.",
        )


def apply_privileges(db: Database) -> bool:
    """OMOP-only readers get the CDM schema and nothing of rwe's bookkeeping (§f2o-024).

    Returns False when the connected user may not create roles (then nothing is changed).
    """
    cdm, rwe = sql.Identifier(db.cdm_schema), sql.Identifier(db.rwe_schema)
    role = sql.Identifier(OMOP_READER_ROLE)
    with db.connect(autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (OMOP_READER_ROLE,)
        ).fetchone()
        try:
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(rwe))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(cdm, role))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(cdm, role))
        except psycopg.errors.InsufficientPrivilege:
            log.warning(
                "could not create role %s or grant on the schemas: ask a database "
                "administrator to grant SELECT on %s only",
                OMOP_READER_ROLE,
                db.cdm_schema,
            )
            return False
    return True
