"""Nightly semantics on a real database: re-run, update, older update, deletion, stable ids,
reject rate, atomic runs (§f2o-103, §f2o-102)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rwe.db.connection import Database
from rwe.errors import BadInputError
from rwe.etl.run import EtlOptions, RejectRateError, run_etl
from tests.conftest import fresh_database
from tests.etl.helpers import checksums, etl, miscounted, rows, write_ndjson

UCUM = "http://unitsofmeasure.org"
NIGHT1 = "2024-01-01T00:00:00Z"


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "female",
        "birthDate": "1950-02-03",
        "meta": {"lastUpdated": "2024-01-01T00:00:00Z"},
        **extra,
    }


def wbc(
    oid: str, pid: str, value: float, updated: str = "2024-01-01T00:00:00Z", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "meta": {"lastUpdated": updated},
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2023-05-06T07:00:00-04:00",
        "valueQuantity": {"value": value, "system": UCUM, "code": "10*3/uL", "unit": "10*3/uL"},
        **extra,
    }


@pytest.fixture
def night1(tmp_path: Path) -> Path:
    folder = tmp_path / "night1"
    write_ndjson(folder / "Patient.ndjson", [patient("p1"), patient("p2")])
    write_ndjson(
        folder / "Observation.ndjson",
        [wbc("o1", "p1", 5.0), wbc("o2", "p1", 6.0), wbc("o3", "p2", 7.0)],
    )
    return folder


def values(database: Database) -> dict[int, float]:
    return dict(rows(database, "SELECT measurement_id, value_as_number FROM cdm.measurement"))


def test_first_load_utc_ids_and_observation_period(database: Database, night1: Path) -> None:
    report = etl(database, night1)
    assert report["resources"]["Observation"]["loaded"] == 3 and report["balanced"]
    ((when, date),) = rows(
        database, "SELECT DISTINCT measurement_datetime, measurement_date FROM cdm.measurement"
    )
    assert str(when) == "2023-05-06 11:00:00" and str(date) == "2023-05-06"  # §f2o-072 UTC
    ids = rows(
        database,
        "SELECT m.measurement_id, m.person_id, f.resource_key FROM cdm.measurement"
        " m JOIN rwe.fhir_resource f ON f.resource_type = 'Observation'"
        " AND m.measurement_id = f.resource_key * 1000",
    )
    assert len(ids) == 3
    periods = rows(
        database, "SELECT count(*), min(period_type_concept_id) FROM cdm.observation_period"
    )
    assert periods == [(2, 32882)]
    run = rows(database, "SELECT status, report->'versions' FROM rwe.run")
    assert run[0][0] == "succeeded" and run[0][1]["cdm"] == "v5.4"  # §f2o-102


def test_f2o_103_rerun_changes_nothing(database: Database, night1: Path) -> None:
    etl(database, night1)
    before = checksums(database)
    report = etl(database, night1)
    assert checksums(database) == before
    assert report["unchanged"] == report["read"] == 5


def test_update_replaces_rows_and_keeps_ids(
    database: Database, night1: Path, tmp_path: Path
) -> None:
    etl(database, night1)
    before = values(database)
    night2 = write_ndjson(
        tmp_path / "n2" / "Observation.ndjson", [wbc("o1", "p1", 9.5, "2024-02-01T00:00:00Z")]
    )
    report = etl(database, night2)
    after = values(database)
    assert report["resources"]["Observation"]["loaded"] == 1
    assert set(after) == set(before)  # stable OMOP ids
    changed = [k for k in after if after[k] != before[k]]
    assert len(changed) == 1 and after[changed[0]] == 9.5


def test_report_counts_every_statement_of_a_merge_step(
    database: Database, night1: Path, tmp_path: Path
) -> None:
    """update_state.sql inserts the new resources' id-map rows and updates the changed ones:
    the step's count in the stored report is both."""
    etl(database, night1)
    night2 = write_ndjson(
        tmp_path / "n2" / "Observation.ndjson",
        [wbc("o1", "p1", 9.5, "2024-02-01T00:00:00Z"), wbc("o4", "p2", 4.0)],
    )
    merged = etl(database, night2)["merge_rows"]
    assert merged["update_state"] == 2  # o4 inserted, o1 updated
    # o1's row rewritten in place, none deleted, o4's inserted
    assert (
        merged["update_measurement"],
        merged["delete_measurement"],
        merged["insert_measurement"],
    ) == (1, 0, 1)


@pytest.fixture
def other_database(admin_url: str, template_database: str) -> Iterator[Database]:
    yield from fresh_database(admin_url, template_database)


@pytest.mark.parametrize("counted", [True, False], ids=["row-counts", "loaded-before-0008"])
def test_changed_rows_rewritten_in_place_equal_a_fresh_load_of_the_new_versions(
    database: Database, other_database: Database, tmp_path: Path, counted: bool
) -> None:
    """update_measurement.sql rewrites a changed resource's MEASUREMENT rows whose ids its new
    version keeps; the others go and come as before. Every table, the observation periods
    included, equals a first load of the final versions. A resource all of whose rows were
    rewritten is not looked for by the delete steps (rewritten_key.sql) when the id map counts
    its rows; rows loaded before migration 0008 (no count) are looked for as before."""
    late = "2024-02-01T00:00:00Z"
    component = {"code": {"coding": [{"system": "http://loinc.org", "code": "6690-2"}]}}
    unmapped = {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]}

    def lab(oid: str, pid: str, day: str, updated: str = NIGHT1, **extra: Any) -> dict[str, Any]:
        return wbc(oid, pid, 5.0, updated, effectiveDateTime=f"{day}T12:00:00Z", **extra)

    def panel(oid: str, pid: str, values: list[float], updated: str = NIGHT1) -> dict[str, Any]:
        doc = lab(oid, pid, "2023-02-05", updated)
        del doc["valueQuantity"]
        doc["component"] = [
            {**component, "valueQuantity": {"value": v, "system": UCUM, "code": "10*3/uL"}}
            for v in values
        ]
        return doc

    first = [
        lab("a", "p1", "2023-01-10"),
        lab("b", "p1", "2023-03-01"),  # p1's last date
        lab("c", "p2", "2023-02-01"),
        panel("d", "p2", [1.0, 2.0]),  # rows 1 and 2
        lab("e", "p2", "2023-02-07"),  # row 0
        lab("f", "p2", "2023-02-08"),
        lab("g", "p1", "2023-01-20"),
    ]
    second = {
        "a": lab("a", "p1", "2023-01-10", late, valueQuantity={"value": 9.0}),  # value only
        "b": lab("b", "p1", "2023-02-01", late),  # earlier: p1's period shrinks
        "c": lab("c", "p1", "2023-02-01", late),  # another person
        "d": panel("d", "p2", [1.5], late),  # row 1 kept, row 2 gone
        "e": panel("e", "p2", [3.0, 4.0], late),  # row 0 gone, rows 1 and 2 new
        "f": lab("f", "p2", "2023-02-08", late, status="entered-in-error"),  # excluded
        "g": lab("g", "p1", "2023-01-20", late, category=[], code=unmapped, valueString="x"),
    }
    del second["g"]["valueQuantity"]  # unmapped, no category, a string: an OBSERVATION row
    patients = [patient("p1"), patient("p2")]
    write_ndjson(tmp_path / "n1" / "Patient.ndjson", patients)
    write_ndjson(tmp_path / "n1" / "Observation.ndjson", first)
    write_ndjson(tmp_path / "n2" / "Observation.ndjson", list(second.values()))
    etl(database, tmp_path / "n1")
    assert miscounted(database) == []
    if not counted:
        rows(database, "UPDATE rwe.fhir_resource SET row_count = NULL RETURNING 1")
    merged = etl(database, tmp_path / "n2")["merge_rows"]
    assert (
        merged["update_measurement"],  # a, b, c, d's row 1
        merged["delete_measurement"],  # d's row 2, e's row 0, f, g
        merged["insert_measurement"],  # e's rows 1 and 2
    ) == (4, 4, 2)
    # a, b and c have no row left to delete; d keeps one of its two rows, e none of its one
    assert merged["rewritten_key"] == (3 if counted else 0)
    assert miscounted(database, unknown=not counted) == []

    final = tmp_path / "final"
    write_ndjson(final / "Patient.ndjson", patients)
    write_ndjson(final / "Observation.ndjson", [second[r["id"]] for r in first])
    etl(other_database, final)
    assert checksums(database) == checksums(other_database)
    assert rows(database, "SELECT count(*) FROM cdm.observation") == [(1,)]


def test_older_last_updated_never_overwrites(
    database: Database, night1: Path, tmp_path: Path
) -> None:
    etl(database, night1)
    newer = write_ndjson(
        tmp_path / "a" / "Observation.ndjson", [wbc("o1", "p1", 8.0, "2024-03-01T00:00:00Z")]
    )
    etl(database, newer)
    older = write_ndjson(
        tmp_path / "b" / "Observation.ndjson", [wbc("o1", "p1", 1.0, "2024-02-01T00:00:00Z")]
    )
    report = etl(database, older)
    assert 8.0 in values(database).values() and 1.0 not in values(database).values()
    assert report["resources"]["Observation"]["excluded_by_reason"] == {
        "older than the loaded version (meta.lastUpdated)": 1
    }


def test_duplicates_in_one_run_keep_the_newest(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dup"
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    write_ndjson(
        folder / "Observation.ndjson",
        [
            wbc("o1", "p1", 3.0, "2024-05-01T00:00:00Z"),
            wbc("o1", "p1", 2.0, "2024-04-01T00:00:00Z"),
        ],
    )
    report = etl(database, folder)
    assert list(values(database).values()) == [3.0]
    assert report["resources"]["Observation"]["read"] == 2 and report["balanced"]


def test_manifest_deleted_removes_rows(database: Database, night1: Path, tmp_path: Path) -> None:
    etl(database, night1)
    export = tmp_path / "export"
    write_ndjson(export / "Observation.ndjson", [])
    write_ndjson(
        export / "deleted" / "del.ndjson",
        [
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {"request": {"method": "DELETE", "url": "Observation/o2"}},
                    {"request": {"method": "DELETE", "url": "Patient/p2"}},
                ],
            }
        ],
    )
    (export / "manifest.json").write_text(
        json.dumps(
            {
                "transactionTime": "2024-06-01T00:00:00Z",
                "request": "x",
                "requiresAccessToken": False,
                "output": [{"type": "Observation", "url": "Observation.ndjson"}],
                "deleted": [{"type": "Bundle", "url": "deleted/del.ndjson"}],
                "error": [],
            }
        )
    )
    report = etl(database, export)
    assert sorted(values(database).values()) == [5.0]  # o2 deleted; o3 went with Patient p2
    assert rows(database, "SELECT count(*) FROM cdm.person") == [(1,)]
    assert rows(database, "SELECT count(*) FROM cdm.observation_period") == [(1,)]
    assert report["deleted"] == 2
    assert miscounted(database) == []  # p2's events are no longer loaded, o2 is deleted
    # the old export does not resurrect what was deleted after it (older lastUpdated) ...
    etl(database, night1)
    assert sorted(values(database).values()) == [5.0]
    # ... but a Patient coming back brings its events back when they are sent again
    back = tmp_path / "back"
    write_ndjson(
        back / "Patient.ndjson", [patient("p2", meta={"lastUpdated": "2024-07-01T00:00:00Z"})]
    )
    write_ndjson(back / "Observation.ndjson", [wbc("o3", "p2", 7.0)])
    etl(database, back)
    assert sorted(values(database).values()) == [5.0, 7.0]
    assert miscounted(database) == []


def test_excluded_status_removes_loaded_rows(
    database: Database, night1: Path, tmp_path: Path
) -> None:
    etl(database, night1)
    update = write_ndjson(
        tmp_path / "x" / "Observation.ndjson",
        [wbc("o1", "p1", 5.0, "2024-02-01T00:00:00Z", status="entered-in-error")],
    )
    report = etl(database, update)
    assert sorted(values(database).values()) == [6.0, 7.0]  # §f2o-061
    assert report["resources"]["Observation"]["excluded_by_reason"] == {  # §f2o-062
        "status entered-in-error": 1
    }


def test_dangling_subject_is_rejected_with_file_and_line(
    database: Database, tmp_path: Path
) -> None:
    src = write_ndjson(tmp_path / "o.ndjson", [wbc("o9", "nobody", 1.0)])
    report = etl(database, src)
    assert report["rejected"] == 1
    assert rows(
        database, "SELECT source_file, line, resource_type, resource_id, reason FROM rwe.reject"
    ) == [(str(src), 1, "Observation", "o9", "reference: subject Patient/nobody is not loaded")]


def test_reject_rate_above_limit_loads_nothing(database: Database, tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "o.ndjson", [patient("p1"), wbc("o1", "p1", 1.0)])
    with src.open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(RejectRateError) as err:
        run_etl(database, [str(src)], EtlOptions(max_reject_rate=0.2))
    assert isinstance(err.value, BadInputError) and "above --max-reject-rate" in err.value.what
    assert rows(database, "SELECT count(*) FROM cdm.measurement") == [(0,)]
    assert rows(database, "SELECT status FROM rwe.run") == [("failed",)]
    assert rows(database, "SELECT line, left(reason, 12) FROM rwe.reject") == [(3, "invalid JSON")]


def test_medication_reference_resolved_across_files(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "med"
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    write_ndjson(
        folder / "MedicationRequest.ndjson",
        [
            {
                "resourceType": "MedicationRequest",
                "id": "mr1",
                "status": "active",
                "intent": "order",
                "subject": {"reference": "Patient/p1"},
                "authoredOn": "2022-01-01",
                "medicationReference": {"reference": "Medication/m1"},
            }
        ],
    )
    write_ndjson(
        folder / "Medication.ndjson",
        [
            {
                "resourceType": "Medication",
                "id": "m1",
                "code": {
                    "coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}
                    ]
                },
            }
        ],
    )
    etl(database, folder)
    assert rows(
        database,
        "SELECT drug_concept_id, drug_source_value, drug_type_concept_id,"
        " drug_exposure_end_date::text FROM cdm.drug_exposure",
    ) == [(1363387, "495881", 32838, "2022-01-30")]
