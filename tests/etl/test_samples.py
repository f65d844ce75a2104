"""Every file of ../shared/fhir-samples goes through `rwe etl` without a crash; per resource type
read = loaded + rejected + excluded; invalid cases are rejected with a reason naming what is wrong;
Synthea deaths, labs and medications land where they should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rwe.db.connection import Database
from tests.conftest import shared_path
from tests.etl.helpers import etl, rows

pytestmark = pytest.mark.shared


def _balanced(report: dict) -> None:  # type: ignore[type-arg]
    for kind, counts in report["resources"].items():
        assert counts["read"] == counts["loaded"] + counts["rejected"] + counts["excluded"], kind
    assert report["balanced"]


def _deceased_patients(folder: Path) -> int:
    count = 0
    for path in folder.rglob("*.json"):
        for entry in json.loads(path.read_bytes()).get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "Patient" and "deceasedDateTime" in resource:
                count += 1
    return count


def test_synthea_bundles(database: Database) -> None:
    folder = shared_path("fhir-samples", "synthea_bundles")
    report = etl(database, folder)
    _balanced(report)
    assert report["resources"]["Patient"]["loaded"] == 34
    assert rows(database, "SELECT count(*) FROM cdm.person") == [(34,)]
    assert rows(database, "SELECT count(*) FROM cdm.death") == [(_deceased_patients(folder),)]
    # platelets (LOINC 777-3, in the seed vocabulary): 46 in the bundles, as MEASUREMENT
    assert rows(
        database,
        "SELECT count(*), min(measurement_concept_id), min(unit_concept_id),"
        " min(measurement_type_concept_id) FROM cdm.measurement"
        " WHERE measurement_source_value = '777-3'",
    ) == [(46, 3024929, 8848, 32856)]
    drugs = rows(
        database,
        "SELECT drug_type_concept_id, count(*) FROM cdm.drug_exposure GROUP BY 1 ORDER BY 1",
    )
    assert drugs == [(32818, 2), (32838, 128)]  # administrations, prescriptions (§f2o-052)
    # non-UCUM units under the UCUM system (`mmHg`, `(score)`, fhir_data_pipes) are rejected;
    # the reason names the element, never the value (no PHI in reject reasons)
    reasons = [r for (r,) in rows(database, "SELECT reason FROM rwe.reject")]
    assert reasons.count("unit: Observation.valueQuantity.code is not a UCUM unit") >= 2
    assert not any("mmHg" in r or "(score)" in r for r in reasons)
    assert rows(
        database,
        "SELECT count(*) FROM cdm.person p WHERE NOT EXISTS (SELECT 1 FROM"
        " cdm.observation_period o WHERE o.person_id = p.person_id)",
    ) == [(0,)]


def test_synthea_ndjson(database: Database) -> None:
    report = etl(database, shared_path("fhir-samples", "synthea_ndjson"))
    _balanced(report)
    assert report["resources"]["Patient"]["loaded"] == 22
    assert report["rejected"] == 0
    # the 2023-06 revision holds newer copies of the same MedicationRequests: one row each
    assert report["resources"]["MedicationRequest"]["loaded"] == 1745
    assert rows(database, "SELECT count(*) FROM cdm.drug_exposure") == [(1745,)]
    # medicationReference → Medication/<id>: the Medication's RxNorm code is the source value
    assert rows(
        database,
        "SELECT count(*) FROM cdm.drug_exposure WHERE drug_source_value IS NULL"
        " OR drug_source_value !~ '^[0-9]+$'",
    ) == [(0,)]
    assert rows(database, "SELECT count(*) FROM cdm.death")[0][0] >= 3
    assert rows(database, "SELECT count(*) FROM cdm.measurement")[0][0] > 1400


def test_hl7_examples(database: Database) -> None:
    report = etl(database, shared_path("fhir-samples", "hl7_examples"))
    _balanced(report)
    reasons = {r for (r,) in rows(database, "SELECT DISTINCT reason FROM rwe.reject")}
    assert "structure: Patient.birthDate is missing (PERSON.year_of_birth is required)" in reasons
    assert "reference: Observation.subject points to a Group, not a Patient" in reasons
    observations = report["resources"]["Observation"]["excluded_by_reason"]
    assert observations["status cancelled"] == 2  # §f2o-060
    # partial birth dates (edge_cases): year only → month/day empty (§f2o-070)
    assert (1933, None, None) in rows(
        database, "SELECT year_of_birth, month_of_birth, day_of_birth FROM cdm.person"
    )


EXPECTED_INVALID = {
    "fhir_test_cases_r4/bad-json-close-1.json": "invalid JSON: ",
    "fhir_test_cases_r4/json-no-quotes-1.json": "invalid JSON: ",
    "fhir_test_cases_r4/synthea.json": "structure: Encounter.reasonCode must be an array",
    "fhir_test_cases_r4/patient-id-bad-1.json": "structure: Patient.id is not a valid FHIR id",
    "fhir_test_cases_r4/hakan-se.json": "structure: MedicationRequest.medication[x] is missing",
    "fhir_test_cases_r4/Observation-ex-pain.json": "structure: Observation.code is missing",
    "fhir_test_cases_r4/json-comments.json": "structure: Patient.fhir_comments is not an element",
    "google_fhir_jsonformat/observation_invalid_multiple_choicex_provided.json": (
        "structure: Observation has both"
    ),
    "google_fhir_nonstandard_json/with_contained.json": "structure: resourceType is missing",
    "google_fhir_primitive_cases/date_time.invalid.ndjson": "not a JSON object",
}


def test_invalid_cases_are_rejected_with_reasons(database: Database) -> None:
    folder = shared_path("fhir-samples", "invalid")
    report = etl(database, folder)
    _balanced(report)
    found = rows(database, "SELECT source_file, reason FROM rwe.reject")
    for name, reason in EXPECTED_INVALID.items():
        path = str(folder / name)
        assert any(f == path and r.startswith(reason) for f, r in found), (name, reason)
    # every file holding anything is accounted for: rejected, excluded or (valid controls) loaded
    assert str(folder / "fhir_test_cases_r4/json-good.json") not in {f for f, _ in found}
