"""`rwe synth` exports (the sorafenib cohorts of #4) load as their conventions require: CTCAE
grades, RECIST responses, stop reasons, excluded statuses, time zones, next-night increment."""

from __future__ import annotations

import uuid
from pathlib import Path

from rwe.db.connection import Database
from rwe.synth.export import SynthOptions, synthesize
from tests.etl.helpers import checksums, etl, rows


def test_synth_export_and_increment(database: Database, tmp_path: Path) -> None:
    out, inc = tmp_path / "export", tmp_path / "increment"
    synthesize(out, SynthOptions(patients=25, seed=11, increment_dir=inc))
    report = etl(database, out)
    assert report["balanced"] and report["rejected"] == 0
    # RECIST response: value_as_concept_id among the local CR/PR/SD/PD/NE concepts
    recist = rows(
        database,
        "SELECT DISTINCT value_as_concept_id FROM cdm.measurement"
        " WHERE measurement_concept_id = 2000000002",
    )
    assert recist and all(2000000020 <= v <= 2000000024 for (v,) in recist)
    # ECOG from valueInteger
    assert rows(
        database,
        "SELECT count(*) FROM cdm.measurement WHERE measurement_concept_id ="
        " 2000000001 AND value_as_number IS NULL",
    ) == [(0,)]
    # CTCAE grades: OBSERVATION linked to their CONDITION_OCCURRENCE
    linked = rows(
        database,
        "SELECT count(*) FROM cdm.observation o JOIN"
        " cdm.condition_occurrence c ON c.condition_occurrence_id ="
        " o.observation_event_id WHERE o.observation_concept_id = 2000000005"
        " AND o.obs_event_field_concept_id = 1147127"
        " AND o.person_id = c.person_id",
    )
    assert linked[0][0] > 0
    # sorafenib exposures; stop reasons are the study codes
    reasons = {
        r
        for (r,) in rows(
            database,
            "SELECT DISTINCT stop_reason FROM cdm.drug_exposure WHERE stop_reason IS NOT NULL",
        )
    }
    assert reasons <= {"progression", "adverse-event", "decision", "death", "other"}
    assert rows(
        database, "SELECT DISTINCT drug_concept_id, route_concept_id FROM cdm.drug_exposure"
    ) == [(1363387, 4132161)]
    # every event belongs to a PERSON, every PERSON has an observation period
    for table in (
        "measurement",
        "observation",
        "condition_occurrence",
        "drug_exposure",
        "visit_occurrence",
    ):
        assert rows(
            database,
            f"SELECT count(*) FROM cdm.{table} t WHERE NOT EXISTS (SELECT 1"
            " FROM cdm.person p WHERE p.person_id = t.person_id)",
        ) == [(0,)]
    assert rows(database, "SELECT count(*) FROM cdm.observation_period") == [(25,)]
    # the next night's increment: updates and deletions, then a re-run changes nothing
    night = etl(database, inc)
    assert night["balanced"] and night["deleted"] > 0
    before = checksums(database)
    again = etl(database, inc)
    assert checksums(database) == before
    assert again["deleted"] == 0


def _content(database: Database) -> list[tuple[object, ...]]:
    return rows(
        database,
        "SELECT measurement_source_value, value_as_number, value_as_concept_id,"
        " measurement_datetime, unit_concept_id FROM cdm.measurement"
        " ORDER BY 1, 2, 3, 4, 5",
    )


def test_worker_processes_give_the_same_result(
    database: Database, tmp_path: Path, admin_url: str, template_database: str
) -> None:
    out = tmp_path / "export"
    synthesize(out, SynthOptions(patients=8, seed=5))
    serial = etl(database, out, workers=1)
    from tests.conftest import _create_database, _drop_database

    name = f"rwe_t_par_{uuid.uuid4().hex[:10]}"
    other = Database(url=_create_database(admin_url, name, template=template_database))
    try:
        parallel = etl(other, out, workers=2, parallel_min_bytes=0)
        assert parallel["resources"] == serial["resources"]
        assert parallel["unmapped_codes"] == serial["unmapped_codes"]
        assert _content(other) == _content(database)
    finally:
        _drop_database(admin_url, name)


TYPE_COLUMNS = {
    "visit_occurrence": "visit_type_concept_id",
    "condition_occurrence": "condition_type_concept_id",
    "drug_exposure": "drug_type_concept_id",
    "procedure_occurrence": "procedure_type_concept_id",
    "measurement": "measurement_type_concept_id",
    "observation": "observation_type_concept_id",
    "death": "death_type_concept_id",
    "observation_period": "period_type_concept_id",
}


def test_f2o_050_every_record_has_a_standard_type_concept(
    database: Database, tmp_path: Path
) -> None:
    synthesize(tmp_path / "export", SynthOptions(patients=12, seed=3))
    etl(database, tmp_path / "export")
    filled = set()
    for table, column in TYPE_COLUMNS.items():
        untyped = rows(
            database,
            f"SELECT t.{column}, count(*) FROM cdm.{table} t LEFT JOIN cdm.concept c"
            f" ON c.concept_id = t.{column} AND c.domain_id = 'Type Concept'"
            " AND c.standard_concept = 'S' WHERE c.concept_id IS NULL GROUP BY 1",
        )
        assert untyped == [], f"{table}.{column}: not a standard Type Concept"
        if rows(database, f"SELECT count(*) > 0 FROM cdm.{table}")[0][0]:
            filled.add(table)
    assert set(TYPE_COLUMNS) - filled <= {"procedure_occurrence", "death"}  # none in the cohort
