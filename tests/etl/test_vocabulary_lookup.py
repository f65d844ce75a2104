"""The run's code lookup on a real vocabulary (§f2o-030..033) and what happens when the lookup
itself fails (§f2o-063): the run stops and loads nothing, never a silent concept 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from rwe.db.connection import Database
from rwe.errors import ExitCode, VocabularyError
from rwe.etl.mappings import load_mappings
from rwe.etl.vocabulary import UNMAPPED, database_vocabulary
from tests.etl.helpers import etl, rows, write_ndjson
from tests.etl.test_nightly import patient, wbc

LOINC = "http://loinc.org"
OTHER = "http://example.org/no-such-system"


def test_f2o_030_032_lookup_resolves_standard_concepts_and_counts_unknown_codes(
    database: Database,
) -> None:
    with database.connect(autocommit=True) as conn:
        vocab = database_vocabulary(database, conn, load_mappings())
        wbc_concept = vocab.concept(LOINC, "6690-2")
        assert (wbc_concept.concept_id, wbc_concept.domain_id) == (3000905, "Measurement")
        assert vocab.concept(LOINC, "9999-9") == UNMAPPED
        assert vocab.concept(OTHER, "x") == UNMAPPED  # a system with no OMOP vocabulary
        assert vocab.unmapped == {(LOINC, "9999-9"): 1, (OTHER, "x"): 1}
        assert vocab.unit("10*3/uL") == 8848


def test_f2o_063_a_failing_lookup_stops_the_run_instead_of_loading_zeros(
    database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    write_ndjson(folder / "Observation.ndjson", [wbc("o1", "p1", 5.0)])
    with database.connect(autocommit=True) as conn:  # the lookup's query cannot run
        conn.execute("ALTER TABLE cdm.source_to_concept_map RENAME TO stcm_away")
    with pytest.raises(VocabularyError) as failed:
        etl(database, folder)
    assert "the vocabulary lookup of a LOINC code failed" in str(failed.value)
    assert failed.value.exit_code == ExitCode.VOCABULARY
    assert rows(database, "SELECT count(*) FROM cdm.measurement") == [(0,)]
    assert rows(database, "SELECT count(*) FROM cdm.person") == [(0,)]
    assert rows(database, "SELECT status FROM rwe.run WHERE command = 'etl'") == [("failed",)]
    with database.connect(autocommit=True) as conn:
        conn.execute("ALTER TABLE cdm.stcm_away RENAME TO source_to_concept_map")
    report = etl(database, folder)  # the next run loads it, mapped
    assert report["loaded"] == 2
    assert rows(database, "SELECT measurement_concept_id FROM cdm.measurement") == [(3000905,)]
