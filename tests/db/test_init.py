"""`rwe db init` / upgrade / status on a real PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from rwe.db.connection import Database
from rwe.db.lifecycle import init_database, upgrade_database
from rwe.db.migrate import OMOP_READER_ROLE, current_version, latest_version, require_schema
from rwe.db.status import database_status
from rwe.errors import SchemaError

CLINICAL = [
    "person",
    "observation_period",
    "visit_occurrence",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "observation",
    "death",
]
VOCAB = [
    "concept",
    "vocabulary",
    "domain",
    "concept_class",
    "relationship",
    "concept_relationship",
    "concept_ancestor",
    "concept_synonym",
    "drug_strength",
]
DERIVED = ["drug_era", "dose_era", "condition_era", "episode", "episode_event"]


def _checksums(db: Database) -> dict[str, str]:
    """md5 of every table's sorted contents in both schemas."""
    out = {}
    with db.connect() as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('cdm', 'rwe') AND table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            row = conn.execute(
                sql.SQL(
                    "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
                ).format(sql.Identifier(schema, table))
            ).fetchone()
            out[f"{schema}.{table}"] = row[0] if row else ""
    return out


def test_init_creates_every_cdm_table_with_keys(empty_database: Database) -> None:
    result = init_database(empty_database)
    assert result.migrations[0] == "0001_cdm54"
    with empty_database.connect() as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cdm'"
            )
        }
        assert len(tables) == 39
        assert set(CLINICAL + VOCAB + DERIVED + ["cdm_source", "metadata"]) <= tables
        pk = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'cdm.measurement'::regclass"
            " AND i.indisprimary"
        ).fetchall()
        assert pk == [("measurement_id",)]
        indexes = {
            r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'cdm'")
        }
        assert {
            "idx_measurement_person_id_1",
            "idx_concept_code",
            "idx_concept_relationship_id_1",
        } <= indexes
        assert current_version(conn, empty_database) == latest_version()


def test_init_twice_changes_nothing(empty_database: Database) -> None:
    init_database(empty_database)
    before = _checksums(empty_database)
    second = init_database(empty_database)
    assert not second.changed
    assert _checksums(empty_database) == before


def test_init_fills_cdm_source_metadata_and_seed(database: Database) -> None:
    with database.connect() as conn:
        src = conn.execute(
            "SELECT cdm_version, cdm_version_concept_id, vocabulary_version FROM cdm.cdm_source"
        ).fetchall()
        assert src == [("v5.4", 756265, "rwe seed 0.1.0")]
        assert conn.execute("SELECT count(*) FROM cdm.metadata").fetchone() == (1,)
        sorafenib = conn.execute(
            "SELECT concept_name, standard_concept FROM cdm.concept WHERE concept_id = 1363387"
        ).fetchone()
        assert sorafenib == ("sorafenib", "S")
        # Standard concepts map to themselves and are their own level-0 ancestor, as in Athena.
        maps = conn.execute(
            "SELECT concept_id_2 FROM cdm.concept_relationship WHERE concept_id_1 = 3004327"
            " AND relationship_id = 'Maps to'"
        ).fetchall()
        assert maps == [(3004327,)]
        # Never an unverified id (the vetted list marks them) and local ids only >= 2e9
        # (§f2o-039).
        assert conn.execute("SELECT count(*) FROM cdm.concept WHERE concept_id = 0").fetchone() == (
            0,
        )
        local = conn.execute(
            "SELECT min(concept_id) FROM cdm.concept WHERE vocabulary_id = 'rwe'"
        ).fetchone()
        assert local is not None and local[0] >= 2_000_000_000


def test_require_schema_says_which_command_fixes_it(empty_database: Database) -> None:
    with empty_database.connect() as conn, pytest.raises(SchemaError) as missing:
        require_schema(conn, empty_database)
    assert "Run `rwe db init` first." in missing.value.render()
    init_database(empty_database)
    with empty_database.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM rwe.schema_migration WHERE version = %s", (latest_version(),))
        with pytest.raises(SchemaError) as older:
            require_schema(conn, empty_database)
    assert "Run `rwe db upgrade`." in older.value.render()
    assert upgrade_database(empty_database) != []
    with empty_database.connect() as conn:
        assert require_schema(conn, empty_database) == latest_version()
    # A migration numbered below the latest (added later) is missing too.
    with empty_database.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM rwe.schema_migration WHERE version = 2")
        with pytest.raises(SchemaError) as gap:
            require_schema(conn, empty_database)
    assert gap.value.render() == (
        "Error: the database schema lacks migration(s) 0002. Run `rwe db upgrade`."
    )


def test_f2o_023_024_omop_reader_cannot_read_the_id_map_or_bookkeeping(
    database: Database,
) -> None:
    """The map from OMOP ids to FHIR ids lives outside the OMOP schema (schema rwe), behind
    its own privileges: a role that reads OMOP reads neither it nor the run records."""
    with database.connect(autocommit=True) as conn:
        conn.execute("SET ROLE " + OMOP_READER_ROLE)
        assert conn.execute("SELECT count(*) FROM cdm.concept").fetchone()[0] > 0  # type: ignore[index]
        for table in ("rwe.fhir_resource", "rwe.run"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
        conn.execute("RESET ROLE")
        # and no OMOP table has a column for it
        found = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'cdm' AND column_name LIKE '%fhir%'"
        ).fetchall()
        assert found == []


def test_status_reports_versions_counts_and_vocabulary(database: Database) -> None:
    status = database_status(database)
    assert status.schema_version == latest_version()
    assert status.server_version.split(".")[0].isdigit()
    assert status.row_counts["concept"] == 126
    assert status.vocabulary is not None
    assert status.vocabulary["vocabulary_version"] == "rwe seed 0.1.0"


def test_f2o_122_the_etl_readme_states_what_fills_every_cdm_table(database: Database) -> None:
    """rwe/etl/README.md "Tables populated" names each table of the CDM rwe creates: filled by
    the ETL, by another command, or not populated."""
    readme = Path(__file__).parents[2] / "rwe" / "etl" / "README.md"
    text = readme.read_text()
    section = text[text.index("## Tables populated") :]
    section = section[: section.index("\n## ", 1)]
    named = set(re.findall(r"\b[A-Z][A-Z_]+[A-Z]\b", section))
    with database.connect() as conn:
        tables = {
            str(r[0]).upper()
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cdm'"
            )
        }
    assert len(tables) == 39
    assert tables - named == set()
