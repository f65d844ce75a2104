"""§f2o-013: every input form rwe accepts gives the same OMOP rows. One small record (two
Patients, an Encounter, three labs, a sorafenib statement whose drug is a contained Medication)
is written as a bulk-export folder (one NDJSON file per type), one mixed `.ndjson.gz` file,
Bundles of each type (a transaction whose entries have no ids and are referenced by their
`urn:uuid:` full URLs; batch, collection and searchset with ids) and single-resource JSON
files. Each is loaded into a database of its own and must give the rows below (ids aside:
they follow the reading order)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rwe.db.connection import Database
from tests.etl.helpers import etl, rows, write_ndjson

P1 = "0b7a1c52-6f0e-4a47-9d1a-1f3e2a9c0001"
P2 = "0b7a1c52-6f0e-4a47-9d1a-1f3e2a9c0002"
E1 = "0b7a1c52-6f0e-4a47-9d1a-1f3e2a9c0003"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
STAMP = {"lastUpdated": "2024-01-01T00:00:00Z"}

Ref = Callable[[str, str], str]


def _resources(ref: Ref) -> list[tuple[str, dict[str, Any]]]:
    """(id, resource) in file order; `ref(type, id)` writes a reference as the form does."""

    def lab(ident: str, patient: str, code: str, value: float, when: str) -> dict[str, Any]:
        lab = {
            "resourceType": "Observation",
            "id": ident,
            "meta": STAMP,
            "status": "final",
            "category": [{"coding": [{"code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": ref("Patient", patient)},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "system": UCUM, "code": "10*3/uL"},
        }
        if patient == P1:
            lab["encounter"] = {"reference": ref("Encounter", E1)}
        return lab

    return [
        (P1, {"resourceType": "Patient", "id": P1, "meta": STAMP, "gender": "female",
              "birthDate": "1950-02-03"}),
        (P2, {"resourceType": "Patient", "id": P2, "meta": STAMP, "gender": "male",
              "birthDate": "1962-07"}),
        (E1, {"resourceType": "Encounter", "id": E1, "meta": STAMP, "status": "finished",
              "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "AMB"},
              "subject": {"reference": ref("Patient", P1)},
              "period": {"start": "2023-05-06T08:00:00-04:00",
                         "end": "2023-05-06T10:00:00-04:00"}}),
        ("o1", lab("o1", P1, "6690-2", 6.5, "2023-05-06T09:00:00-04:00")),
        ("o2", lab("o2", P1, "731-0", 1.5, "2023-05-06T09:00:00-04:00")),
        ("o3", lab("o3", P2, "6690-2", 7.0, "2023-06-01T23:30:00-04:00")),
        ("m1", {"resourceType": "MedicationStatement", "id": "m1", "meta": STAMP,
                "status": "completed",
                "contained": [{"resourceType": "Medication", "id": "sora", "code": {"coding": [
                    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                     "code": "495881"}]}}],
                "medicationReference": {"reference": "#sora"},
                "subject": {"reference": ref("Patient", P1)},
                "effectivePeriod": {"start": "2023-05-10", "end": "2023-08-10"}}),
    ]  # fmt: skip


def _plain(kind: str, ident: str) -> str:
    return f"{kind}/{ident}"


def _ndjson(folder: Path) -> Path:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for _, resource in _resources(_plain):
        by_type.setdefault(resource["resourceType"], []).append(resource)
    for kind, resources in by_type.items():
        write_ndjson(folder / f"{kind}.ndjson", resources)
    return folder


def _ndjson_gz(folder: Path) -> Path:
    folder.mkdir(parents=True)
    lines = "".join(json.dumps(r) + "\n" for _, r in _resources(_plain))
    (folder / "export.ndjson.gz").write_bytes(gzip.compress(lines.encode()))
    return folder


def _bundle(kind: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        entries = []
        if kind == "transaction":  # new resources: no ids, referenced by their full URLs
            for ident, resource in _resources(lambda _, i: f"urn:uuid:{i}"):
                del resource["id"]
                entries.append(
                    {
                        "fullUrl": f"urn:uuid:{ident}",
                        "resource": resource,
                        "request": {"method": "POST", "url": resource["resourceType"]},
                    }
                )
        else:
            base = "https://fhir.example.org/R4"
            for ident, resource in _resources(_plain):
                entry: dict[str, Any] = {
                    "fullUrl": f"{base}/{resource['resourceType']}/{ident}",
                    "resource": resource,
                }
                if kind == "batch":
                    url = f"{resource['resourceType']}/{ident}"
                    entry["request"] = {"method": "PUT", "url": url}
                if kind == "searchset":
                    entry["search"] = {"mode": "match"}
                entries.append(entry)
        folder.mkdir(parents=True)
        bundle = {"resourceType": "Bundle", "type": kind, "entry": entries}
        (folder / f"{kind}.json").write_text(json.dumps(bundle))
        return folder / f"{kind}.json"

    return write


def _files(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for ident, resource in _resources(_plain):
        (folder / f"{resource['resourceType']}-{ident}.json").write_text(json.dumps(resource))
    return folder


FORMS: dict[str, Callable[[Path], Path]] = {
    "ndjson-per-type": _ndjson,
    "mixed-ndjson-gz": _ndjson_gz,
    "transaction-bundle": _bundle("transaction"),
    "batch-bundle": _bundle("batch"),
    "collection-bundle": _bundle("collection"),
    "searchset-bundle": _bundle("searchset"),
    "resource-files": _files,
}

# What the record gives, per person (year of birth stands for the person: ids differ by form).
EXPECTED = {
    "person": [(1950, 8532, 2, 3), (1962, 8507, 7, None)],  # §f2o-070: 1962-07, no day
    "visit": [(1950, 9202, "2023-05-06", "2023-05-06")],
    # §f2o-072: UTC; o3 is on 2 June in UTC; labs in the encounter carry its visit
    "measurement": [
        (1950, 3000905, "2023-05-06 13:00:00", 6.5, 8848, True),
        (1950, 3004327, "2023-05-06 13:00:00", 1.5, 8848, True),
        (1962, 3000905, "2023-06-02 03:30:00", 7.0, 8848, False),
    ],
    # the contained Medication; no category: EHR 32817 (§f2o-053 gives 32865 to self-reports)
    "drug": [(1950, 1363387, "2023-05-10", "2023-08-10", 32817)],
    "period": [(1950, "2023-05-06", "2023-08-10"), (1962, "2023-06-02", "2023-06-02")],
}


def content(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "person": rows(
            database,
            "SELECT year_of_birth, gender_concept_id, month_of_birth, day_of_birth"
            " FROM cdm.person ORDER BY 1",
        ),
        "visit": rows(
            database,
            "SELECT p.year_of_birth, v.visit_concept_id, v.visit_start_date::text,"
            " v.visit_end_date::text FROM cdm.visit_occurrence v"
            " JOIN cdm.person p USING (person_id) ORDER BY 1, 2",
        ),
        "measurement": rows(
            database,
            "SELECT p.year_of_birth, m.measurement_concept_id, m.measurement_datetime::text,"
            " m.value_as_number, m.unit_concept_id,"
            " m.visit_occurrence_id IS NOT NULL AND m.visit_occurrence_id IN"
            " (SELECT visit_occurrence_id FROM cdm.visit_occurrence)"
            " FROM cdm.measurement m JOIN cdm.person p USING (person_id) ORDER BY 1, 2",
        ),
        "drug": rows(
            database,
            "SELECT p.year_of_birth, d.drug_concept_id, d.drug_exposure_start_date::text,"
            " d.drug_exposure_end_date::text, d.drug_type_concept_id"
            " FROM cdm.drug_exposure d JOIN cdm.person p USING (person_id) ORDER BY 1",
        ),
        "period": rows(
            database,
            "SELECT p.year_of_birth, o.observation_period_start_date::text,"
            " o.observation_period_end_date::text FROM cdm.observation_period o"
            " JOIN cdm.person p USING (person_id) ORDER BY 1",
        ),
    }


@pytest.mark.parametrize("form", FORMS)
def test_f2o_013_every_input_form_gives_the_same_rows(
    form: str, database: Database, tmp_path: Path
) -> None:
    source = FORMS[form](tmp_path / form)
    report = etl(database, source)
    assert report["balanced"]
    assert (report["read"], report["loaded"], report["rejected"]) == (7, 7, 0)
    assert content(database) == EXPECTED


def test_f2o_002_010_version_declared_and_other_types_read_excluded_and_counted(
    database: Database, tmp_path: Path
) -> None:
    """§f2o-002: the FHIR version consumed is declared (the stored run report, METADATA);
    §f2o-010: the resource types rwe does not load are read, excluded with that reason and
    counted, never loaded nor rejected."""
    folder = _ndjson(tmp_path / "export")
    others = [
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "patient": {"reference": f"Patient/{P1}"},
        },
        {"resourceType": "Immunization", "id": "i1", "status": "completed"},
    ]
    write_ndjson(folder / "Other.ndjson", others)
    report = etl(database, folder)
    assert report["balanced"] and report["rejected"] == 0
    for kind in ("AllergyIntolerance", "Immunization"):
        counts = report["resources"][kind]
        assert (counts["read"], counts["loaded"], counts["excluded"]) == (1, 0, 1)
        assert counts["excluded_by_reason"] == {"resource type not loaded by rwe (§f2o-010)": 1}
    assert content(database) == EXPECTED  # the rest as without them
    stored = rows(database, "SELECT report -> 'versions' ->> 'fhir' FROM rwe.run")
    assert stored == [("4.0.1",)]
    metadata = rows(database, "SELECT value_as_string FROM cdm.metadata")
    assert len(metadata) == 1 and "FHIR R4 4.0.1" in metadata[0][0]
