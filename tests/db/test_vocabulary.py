"""`rwe vocab load`: Athena releases (tab or comma), atomic replacement, clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rwe.db.connection import Database
from rwe.db.vocabulary import load_release
from rwe.errors import VocabularyError
from tests.conftest import shared_path

ATHENA_HEADER = {
    "CONCEPT.csv": "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\t"
    "standard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason",
    "VOCABULARY.csv": "vocabulary_id\tvocabulary_name\tvocabulary_reference\tvocabulary_version\t"
    "vocabulary_concept_id",
    "CONCEPT_RELATIONSHIP.csv": "concept_id_1\tconcept_id_2\trelationship_id\tvalid_start_date\t"
    "valid_end_date\tinvalid_reason",
}


def _athena(folder: Path, concept_rows: list[str]) -> Path:
    """A tiny Athena-style (tab-delimited, YYYYMMDD dates, unquoted) download."""
    folder.mkdir()
    (folder / "CONCEPT.csv").write_text(
        "\n".join([ATHENA_HEADER["CONCEPT.csv"], *concept_rows]) + "\n"
    )
    (folder / "VOCABULARY.csv").write_text(
        ATHENA_HEADER["VOCABULARY.csv"] + "\nNone\tOMOP Standardized Vocabularies\t"
        "OMOP generated\tv5.0 31-AUG-26\t44819096\n"
    )
    (folder / "CONCEPT_RELATIONSHIP.csv").write_text(
        ATHENA_HEADER["CONCEPT_RELATIONSHIP.csv"] + "\n1363387\t1363387\tMaps to\t19700101\t"
        "20991231\t\n"
    )
    return folder


GOOD_ROWS = [
    "1363387\tsorafenib\tDrug\tRxNorm\tIngredient\tS\t495881\t19700101\t20991231\t",
    '3004327\tLymphocytes [#/volume] in Blood by "Automated" count\tMeasurement\tLOINC\t'
    "Lab Test\tS\t731-0\t19700101\t20991231\t",
]


def _count(db: Database, query: str) -> int:
    with db.connect() as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_athena_tab_release_replaces_seed_and_keeps_local_concepts(
    database: Database, tmp_path: Path
) -> None:
    summary = load_release(database, _athena(tmp_path / "athena", GOOD_ROWS))
    assert summary.version == "v5.0 31-AUG-26"
    assert summary.rows["concept"] == 2
    # Seed concepts are gone (replaced), rwe's local concepts (>= 2e9) stay.
    assert _count(database, "SELECT count(*) FROM cdm.concept WHERE concept_id < 2000000000") == 2
    assert _count(database, "SELECT count(*) FROM cdm.concept WHERE concept_id >= 2000000000") > 0
    # Quotes inside an unquoted tab file are kept verbatim.
    with database.connect() as conn:
        name = conn.execute("SELECT concept_name FROM cdm.concept WHERE concept_id = 3004327")
        assert name.fetchone() == ('Lymphocytes [#/volume] in Blood by "Automated" count',)
        version = conn.execute("SELECT vocabulary_version FROM cdm.cdm_source").fetchone()
        assert version == ("v5.0 31-AUG-26",)
        release = conn.execute(
            "SELECT vocabulary_version, is_seed FROM rwe.vocabulary_release"
            " ORDER BY release_id DESC LIMIT 1"
        ).fetchone()
        assert release == ("v5.0 31-AUG-26", False)


def test_bad_file_names_file_line_and_column_and_keeps_previous(
    database: Database, tmp_path: Path
) -> None:
    before = _count(database, "SELECT count(*) FROM cdm.concept")
    bad = [*GOOD_ROWS, "12x\tbroken\tDrug\tRxNorm\tIngredient\tS\t1\t19700101\t20991231\t"]
    with pytest.raises(VocabularyError) as err:
        load_release(database, _athena(tmp_path / "athena", bad))
    message = err.value.render()
    assert "CONCEPT.csv, line 4, column concept_id" in message
    assert 'invalid input syntax for type integer: "12x"' in message
    # The transaction rolled back: the previous vocabulary is intact.
    assert _count(database, "SELECT count(*) FROM cdm.concept") == before


def test_duplicate_keys_are_reported(database: Database, tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"duplicate keys in cdm\.concept"):
        load_release(database, _athena(tmp_path / "athena", [GOOD_ROWS[0], GOOD_ROWS[0]]))


def test_missing_concept_file_is_explained(tmp_path: Path, database: Database) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(VocabularyError, match="has no CONCEPT, VOCABULARY file"):
        load_release(database, tmp_path / "empty")


def test_zip_of_athena_files(database: Database, tmp_path: Path) -> None:
    folder = _athena(tmp_path / "athena", GOOD_ROWS)
    archive = tmp_path / "vocab.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in folder.iterdir():
            zf.write(file, f"vocabulary_download_v5/{file.name}")
    assert load_release(database, archive).rows["concept"] == 2


def test_synthea27nj_comma_zip_leaves_2294_concepts_queryable(database: Database) -> None:
    summary = load_release(database, shared_path("vocab", "Synthea27Nj_5.4.zip"))
    assert summary.version == "v5.0 09-APR-22*"
    assert summary.rows["concept"] == 2294
    assert (
        _count(database, "SELECT count(*) FROM cdm.concept WHERE concept_id < 2000000000") == 2294
    )
    # Quoted empty strings in comma exports are NULLs, not '' (standard_concept).
    assert _count(database, "SELECT count(*) FROM cdm.concept WHERE standard_concept = ''") == 0
    assert _count(database, "SELECT count(*) FROM cdm.concept_relationship") > 200_000
