"""`rwe db init` / `rwe db upgrade`: schema, privileges, seed vocabulary, CDM_SOURCE, METADATA."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from rwe import CDM_VERSION, __version__
from rwe.db.connection import Database
from rwe.db.migrate import apply_migrations, apply_privileges
from rwe.db.vocabulary import load_seed

log = logging.getLogger(__name__)

CDM_VERSION_CONCEPT_ID = 756265  # "OMOP CDM Version 5.4.0"


@dataclass
class InitResult:
    migrations: list[str] = field(default_factory=list)
    seed_concepts: int = 0
    cdm_source_created: bool = False
    privileges: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.migrations or self.seed_concepts or self.cdm_source_created)


def init_database(db: Database, source_name: str = "rwe") -> InitResult:
    """Create or complete rwe's schemas; a second run changes nothing."""
    result = InitResult()
    result.migrations = [f"{m.version:04d}_{m.name}" for m in apply_migrations(db)]
    with db.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x72776502,))
        result.cdm_source_created = _ensure_cdm_source(conn, db, source_name)
        if _vocabulary_empty(conn, db):
            result.seed_concepts = load_seed(db, conn)
            log.info("loaded the built-in seed vocabulary (%d concepts)", result.seed_concepts)
    result.privileges = apply_privileges(db)
    return result


def upgrade_database(db: Database) -> list[str]:
    """Apply pending migrations only."""
    applied = [f"{m.version:04d}_{m.name}" for m in apply_migrations(db)]
    apply_privileges(db)
    return applied


def _vocabulary_empty(conn: psycopg.Connection, db: Database) -> bool:
    row = conn.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {}.concept)").format(
            sql.Identifier(db.cdm_schema)
        )
    ).fetchone()
    return bool(row and row[0])


def _ensure_cdm_source(conn: psycopg.Connection, db: Database, source_name: str) -> bool:
    """CDM_SOURCE and METADATA describe this instance; written once, kept on later inits."""
    cdm = sql.Identifier(db.cdm_schema)
    exists = conn.execute(sql.SQL("SELECT 1 FROM {}.cdm_source").format(cdm)).fetchone()
    if exists:
        return False
    today = dt.date.today()
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.cdm_source (cdm_source_name, cdm_source_abbreviation, cdm_holder,"
            " source_description, source_documentation_reference, cdm_etl_reference,"
            " source_release_date, cdm_release_date, cdm_version, cdm_version_concept_id,"
            " vocabulary_version) VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, 'none')"
        ).format(cdm),
        (
            source_name,
            source_name[:25],
            source_name,
            "FHIR R4 data loaded by rwe",
            f"rwe {__version__}",
            today,
            today,
            CDM_VERSION,
            CDM_VERSION_CONCEPT_ID,
        ),
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.metadata (metadata_id, metadata_concept_id, metadata_type_concept_id,"
            " name, value_as_string, metadata_date) VALUES (1, 0, 0, 'etl', %s, %s)"
        ).format(cdm),
        (f"rwe {__version__}; FHIR R4 4.0.1 to OMOP CDM {CDM_VERSION}", today),
    )
    return True
