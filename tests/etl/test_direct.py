"""The first-load direct path (rwe/etl/direct.py) writes exactly what staging and the merge
write: same rows, same OMOP ids, same id map, rejects and report; an Observation read twice is
staged; and when its assumptions do not hold (a Patient superseded, an Encounter rejected, an
Observation deleted in the same input) the run starts over through staging and still equals
it."""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rwe.db.connection import Database
from rwe.etl import preread
from rwe.etl.direct import Direct
from rwe.etl.extract.batch import Source
from rwe.etl.extract.discover import discover
from rwe.etl.preread import PreRead, id_hash, repeated_ids
from rwe.etl.run import RejectRateError
from rwe.synth.export import SynthOptions, synthesize
from tests.conftest import fresh_database
from tests.etl.helpers import HOSPITAL_LAB, checksums, etl, miscounted, rows, write_ndjson

STAMP = "2024-06-01T02:00:00Z"


@pytest.fixture
def staged_database(admin_url: str, template_database: str) -> Iterator[Database]:
    """A second fresh database: the same input loaded with the direct path turned off."""
    yield from fresh_database(admin_url, template_database)


@pytest.fixture
def went_direct(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(type, id) of each resource the direct path wrote, in the order read."""
    seen: list[tuple[str, str]] = []
    resource, row = Direct.resource, Direct.row

    def spy_resource(self: Direct, kind: str, fhir_id: Any, *args: Any) -> Any:
        out = resource(self, kind, fhir_id, *args)
        if out is not None:
            seen.append((kind, fhir_id))
        return out

    def spy_row(self: Direct, occ: int, digest: int, hit: Any) -> Any:
        out = row(self, occ, digest, hit)
        if out is not None:
            seen.append(("Observation", hit[0]))
        return out

    monkeypatch.setattr(Direct, "resource", spy_resource)
    monkeypatch.setattr(Direct, "row", spy_row)
    return seen


def state(database: Database) -> dict[str, Any]:
    """Every CDM table, the id map and the rejects (without run ids)."""
    return {
        **checksums(database),
        "fhir_resource": rows(
            database,
            "SELECT resource_key, resource_type, fhir_id, state, last_updated, content_hash,"
            " person_id, row_count FROM rwe.fhir_resource ORDER BY resource_key",
        ),
        "reject": rows(
            database,
            "SELECT source_file, line, resource_type, resource_id, reason FROM rwe.reject"
            " ORDER BY source_file, line, reason",
        ),
    }


def both(
    database: Database, staged_database: Database, *sources: Path, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    direct = etl(database, *sources, **options)
    staged = etl(staged_database, *sources, direct=False)
    assert staged["direct"] == 0
    assert state(database) == state(staged_database)
    assert miscounted(database) == []
    for key in ("resources", "unmapped_codes", "unmapped_units", "imputed_dates", "notes"):
        assert direct[key] == staged[key], key
    assert direct["merge_rows"]["insert_measurement"] == staged["merge_rows"]["insert_measurement"]
    return direct, staged


def observation(ident: str, patient: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "meta": {"lastUpdated": STAMP},
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "731-0"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2021-03-04T23:30:00.25-05:00",
        "valueQuantity": {
            "value": 1.8,
            "unit": "10*3/uL",
            "system": "http://unitsofmeasure.org",
            "code": "10*3/uL",
        },
        **extra,
    }


def patient(ident: str, updated: str = STAMP, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"lastUpdated": updated},
        "gender": "female",
        "birthDate": "1960-05-02",
        **extra,
    }


def encounter(ident: str, subject: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": ident,
        "meta": {"lastUpdated": STAMP},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{subject}"},
        "period": {"start": "2021-03-04T09:00:00+02:00", "end": "2021-03-04T10:00:00+02:00"},
    }


def test_a_synthetic_cohort_loads_directly_and_equals_the_staged_load(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    went_direct: list[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    synthesize(tmp_path / "export", SynthOptions(patients=40, seed=11))
    with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
        direct, _ = both(database, staged_database, tmp_path / "export")
    assert "through staging" not in caplog.text
    assert direct["direct"] > 0.5 * direct["resources"]["Observation"]["loaded"]
    # its Encounters and Conditions include versions read more than once: the pre-read found
    # them (staged, the merge ranks them), the others went direct
    seen = Counter(
        (r["resourceType"], r["id"])
        for path in sorted((tmp_path / "export").glob("*.ndjson"))
        for r in map(json.loads, path.read_text().splitlines())
    )
    repeated = {key for key, n in seen.items() if n > 1}
    kinds = Counter(kind for kind, _ in repeated)
    assert kinds["Encounter"] > 0 and kinds["Condition"] > 0
    assert repeated.isdisjoint(went_direct)
    direct_kinds = Counter(kind for kind, _ in went_direct)
    for kind in ("Encounter", "Condition", "MedicationStatement"):
        assert direct_kinds[kind] > 0.5 * direct["resources"][kind]["loaded"], kind


def test_labs_of_every_shape_equal_the_staged_load(
    database: Database, staged_database: Database, tmp_path: Path
) -> None:
    """Dates (UTC conversion, date-only, partial, fractions), units, unmapped codes, visits,
    observations routed to OBSERVATION, reference ranges and the other elements of a
    hospital's lab, and labs read before their Patient (staged)."""
    labs = [
        observation("o1", "p1", encounter={"reference": "Encounter/e1"}),
        observation("o2", "p1", effectiveDateTime="2021-03-04"),
        observation("o3", "p1", effectiveDateTime="2021-03"),
        observation("o4", "p2", effectiveDateTime="2021-12-31T23:59:59.123456789+14:00"),
        observation("o5", "p2", effectiveDateTime="2021-01-01T00:00:00Z"),
        observation("o6", "p2", code={"coding": [{"system": "http://loinc.org", "code": "x-1"}]}),
        observation(
            "o7",
            "p2",
            valueQuantity={"value": 3, "system": "http://unitsofmeasure.org", "code": "mg"},
        ),
        observation(
            "o8",
            "p2",
            code={"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
            category=[],
        ),
        observation("o9", "nobody"),
        observation("o10", "p3"),  # p3's file is read after the labs: staged
        # a hospital's lab: reference range (MEASUREMENT has range columns, OBSERVATION not)
        observation("o11", "p1", referenceRange=[{"low": {"value": 1}, "high": {"value": 4.8}}]),
        observation("o12", "p1", **{**HOSPITAL_LAB, "referenceRange": [{"high": {"value": 0.5}}]}),
        observation(
            "o13",
            "p2",
            code={"coding": [{"system": "http://snomed.info/sct", "code": "89362005"}]},
            referenceRange=[{"low": {"value": 1}, "high": {"value": 2}}],
        ),
        observation(  # a local code beside LOINC: the LOINC one maps, it is taken
            "o14",
            "p2",
            code={
                "coding": [
                    {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.768282", "code": "1558"},
                    {"system": "http://loinc.org", "code": "731-0"},
                ]
            },
        ),
    ]
    write_ndjson(tmp_path / "in" / "Patient.ndjson", [patient("p1"), patient("p2")])
    write_ndjson(tmp_path / "in" / "Encounter.ndjson", [encounter("e1", "p1")])
    write_ndjson(tmp_path / "in" / "Observation.ndjson", labs)
    write_ndjson(tmp_path / "in" / "zz-late.ndjson", [patient("p3")])
    direct, _ = both(database, staged_database, tmp_path / "in")
    # 11 labs (not o4: 9 fraction digits, o9: rejected, o10: late) and the Encounter e1
    assert direct["direct"] == 12
    assert direct["resources"]["Observation"]["rejected"] == 1  # o9: no such Patient
    assert rows(
        database,
        "SELECT measurement_source_value, range_low, range_high FROM cdm.measurement"
        " WHERE range_low IS NOT NULL OR range_high IS NOT NULL ORDER BY range_high",
    ) == [("731-0", None, 0.5), ("731-0", 1.0, 4.8)]
    assert rows(database, "SELECT observation_source_value FROM cdm.observation") == [("89362005",)]


@pytest.mark.parametrize(
    "case", ["superseded patient", "rejected encounter", "twice", "deleted", "deleted encounter"]
)
def test_when_an_assumption_fails_the_run_starts_over_through_staging(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "in"
    patients = [patient("p1"), patient("p2")]
    encounters = [encounter("e1", "p1")]
    labs = [observation("o1", "p1"), observation("o2", "p2")]
    if case == "superseded patient":  # the newer p1 comes first: the labs use the older one
        patients = [patient("p1", "2024-07-01T00:00:00Z", gender="male"), *patients]
    elif case == "rejected encounter":  # e2's subject does not exist: e2 is rejected
        encounters.append(encounter("e2", "nobody"))
        labs.append(observation("o3", "p1", encounter={"reference": "Encounter/e2"}))
    elif case == "twice":  # the same lab in two files
        write_ndjson(folder / "Observation.2.ndjson", [observation("o1", "p1", status="final")])
    elif case.startswith("deleted"):  # a bulk export's deleted entry for a resource it holds
        url = "Encounter/e1" if case == "deleted encounter" else "Observation/o2"
        deleted = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"request": {"method": "DELETE", "url": url}}],
        }
        write_ndjson(folder / "deleted" / "del.ndjson", [deleted])
        manifest = {
            "transactionTime": STAMP,
            "request": "http://example.org/fhir/$export",
            "requiresAccessToken": False,
            "output": [
                {"type": t, "url": f"{t}.ndjson"} for t in ("Patient", "Encounter", "Observation")
            ],
            "deleted": [{"type": "Bundle", "url": "deleted/del.ndjson"}],
            "error": [],
        }
        (folder).mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").write_text(json.dumps(manifest))
    write_ndjson(folder / "Patient.ndjson", patients)
    write_ndjson(folder / "Encounter.ndjson", encounters)
    write_ndjson(folder / "Observation.ndjson", labs)
    with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
        direct, _ = both(database, staged_database, folder)
    if case == "twice":  # seen by the pre-read: o1 is staged (the merge ranks its versions)
        assert "through staging" not in caplog.text
        assert direct["direct"] == 2  # o2 and the Encounter e1
        return
    assert "loading every resource through staging" in caplog.text  # it did try, then
    assert direct["direct"] == 0  # started over: nothing of the direct attempt is left


def test_a_second_run_is_not_a_first_load(
    database: Database, staged_database: Database, tmp_path: Path
) -> None:
    write_ndjson(tmp_path / "a" / "Patient.ndjson", [patient("p1")])
    write_ndjson(tmp_path / "b" / "Observation.ndjson", [observation("o1", "p1")])
    for db in (database, staged_database):
        etl(db, tmp_path / "a")
    second = etl(database, tmp_path / "b")
    etl(staged_database, tmp_path / "b", direct=False)
    assert second["direct"] == 0
    assert state(database) == state(staged_database)


@pytest.mark.parametrize("missed", ["pre-read found nothing", "meta's id comes first"])
def test_a_repeated_id_the_pre_read_missed_fails_the_copy_and_the_run_starts_over(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    missed: str,
) -> None:
    """The id map's unique key is the safety net behind the pre-read. The pre-read takes a
    line's first `"id"`: when meta's is written before the lab's own, it misses that o1 occurs
    twice; both versions go direct, the unique key fails the COPY, the run starts over."""
    labs = [observation("o1", "p1"), observation("o1", "p1", status="amended")]
    if missed == "pre-read found nothing":
        monkeypatch.setattr("rwe.etl.preread.repeated_ids", lambda sources: frozenset())
    else:
        for i, lab in enumerate(labs):
            lab["meta"]["id"] = "m"
            labs[i] = {"resourceType": "Observation", "meta": lab.pop("meta"), **lab}
    write_ndjson(tmp_path / "in" / "Patient.ndjson", [patient("p1")])
    write_ndjson(tmp_path / "in" / "Observation.1.ndjson", labs[:1])
    write_ndjson(tmp_path / "in" / "Observation.2.ndjson", labs[1:])
    if missed == "meta's id comes first":
        assert repeated_ids(discover([str(tmp_path / "in")])) == {id_hash(b"m")}
    with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
        direct, _ = both(database, staged_database, tmp_path / "in")
    assert "a resource id occurs more than once" in caplog.text
    assert direct["direct"] == 0


def test_the_pre_read_process_stages_an_id_read_twice(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A large input is pre-read in a spawned process (here: any input); its answer is the
    same, so the repeated lab is staged and nothing starts over."""
    folder = tmp_path / "in"
    write_ndjson(folder / "Patient.ndjson", [patient("p1"), patient("p2")])
    labs = [observation("o1", "p1"), observation("o2", "p2")]
    write_ndjson(folder / "Observation.1.ndjson", labs)
    write_ndjson(folder / "Observation.2.ndjson", [observation("o1", "p1", status="amended")])
    with caplog.at_level(logging.DEBUG, logger="rwe.etl"):
        direct, _ = both(database, staged_database, folder, parallel_min_bytes=0)
    assert "through staging" not in caplog.text
    assert "pre-read process failed" not in caplog.text
    assert direct["direct"] == 1  # o2; o1's two versions went through the merge


def _labs(folder: Path) -> list[Source]:
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    labs = [observation(f"o{i}", "p1") for i in range(5)]
    write_ndjson(folder / "Observation.1.ndjson", labs)
    write_ndjson(folder / "Observation.2.ndjson", [labs[3], observation("o3-other", "p1")])
    return discover([str(folder)])


def test_repeated_ids_are_found_by_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _labs(tmp_path)
    assert repeated_ids(sources) == frozenset({id_hash(b"o3")})
    monkeypatch.setattr(preread, "id_hash", lambda _: 7)  # all collide
    assert repeated_ids(sources) == frozenset({7})


def test_labs_whose_id_hashes_collide_are_staged_too(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pre-read gives hashes: an id that only shares its hash with a repeated one is
    staged as well, and the load is the same."""
    for module in ("rwe.etl.preread", "rwe.etl.direct"):
        monkeypatch.setattr(f"{module}.id_hash", lambda _: 7)
    _labs(tmp_path)
    with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
        direct, _ = both(database, staged_database, tmp_path)
    assert "through staging" not in caplog.text
    assert direct["direct"] == 0


def test_a_pre_read_process_that_died_is_done_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources = _labs(tmp_path)
    expected = frozenset({id_hash(b"o3")})
    assert PreRead(sources, background=True).result() == expected
    dying = PreRead(sources, background=True)
    assert dying._process is not None
    dying._process.kill()
    with caplog.at_level(logging.DEBUG, logger="rwe.etl.preread"):
        assert dying.result() == expected
    assert "pre-read process failed (it died); pre-reading here" in caplog.text
    assert dying._process is None  # closed


def condition(ident: str, subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": ident,
        "meta": {"lastUpdated": STAMP},
        "subject": {"reference": f"Patient/{subject}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "363478007"}]},
        "onsetDateTime": "2019-11-20T23:30:00-05:00",
        **extra,
    }


def statement(ident: str, subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": ident,
        "meta": {"lastUpdated": STAMP},
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}]
        },
        "subject": {"reference": f"Patient/{subject}"},
        "effectivePeriod": {"start": "2020-01-01", "end": "2020-02-28"},
        "dosage": [
            {
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 0.30000000000000004,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            }
        ],
        **extra,
    }


def test_encounters_conditions_and_statements_of_every_shape_equal_the_staged_load(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    went_direct: list[tuple[str, str]],
) -> None:
    """The generic path's direct rows (VISIT_OCCURRENCE, CONDITION_OCCURRENCE, DRUG_EXPOSURE,
    OBSERVATION): dates with offsets, date-only and partial, a CTCAE grade, an ongoing
    statement (imputed end, open exposure), a stopped one, visits; and what is staged: an
    excluded status, a medicationReference, a Patient or Encounter not read yet, a datetime
    PostgreSQL may round otherwise."""
    encounters = [
        encounter("e1", "p1"),
        {**encounter("e2", "p2"), "period": {"start": "2021-03-04"}},  # date only, no end
        {**encounter("e3", "p1"), "status": "cancelled"},  # excluded: staged
        {**encounter("e4", "p1"), "period": {"start": "2021-03-04T09:00:00.123456789+02:00"}},
        encounter("e5", "p9"),  # its Patient comes late: staged
    ]
    grade = {"url": "urn:rwe:extension:ctcae-grade", "valueInteger": 3}
    conditions = [
        condition("c1", "p1", encounter={"reference": "Encounter/e1"}),
        condition("c2", "p1", extension=[grade], abatementDateTime="2020-01"),
        condition("c3", "p2", onsetDateTime="2019-11", encounter={"reference": "Encounter/e3"}),
        condition("c4", "p2", encounter={"reference": "Encounter/e4"}),  # e4 staged, checked
        condition(
            "c5",
            "p1",
            code={"coding": [{"system": "http://snomed.info/sct", "code": "89362005"}]},
            extension=[grade],
        ),
        {**condition("c6", "p1"), "verificationStatus": {"coding": [{"code": "refuted"}]}},
    ]
    statements = [
        statement("m1", "p1", context={"reference": "Encounter/e2"}),
        statement("m2", "p2", status="active", effectivePeriod={"start": "2021-01-01"}),
        {
            **{k: v for k, v in statement("m3", "p1").items() if k != "effectivePeriod"},
            "status": "stopped",
            "statusReason": [{"coding": [{"code": "toxicity"}]}],
            "effectiveDateTime": "2021-01-01T10:00:00+09:00",
        },
        {
            **{k: v for k, v in statement("m4", "p1").items() if k != "medicationCodeableConcept"},
            "medicationReference": {"reference": "Medication/med1"},
        },
        statement("m5", "p2", status="not-taken"),
    ]
    medication = {
        "resourceType": "Medication",
        "id": "med1",
        "meta": {"lastUpdated": STAMP},
        "code": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}]
        },
    }
    folder = tmp_path / "in"
    write_ndjson(folder / "Patient.ndjson", [patient("p1"), patient("p2")])
    write_ndjson(folder / "Encounter.ndjson", encounters)
    write_ndjson(folder / "Medication.ndjson", [medication])
    write_ndjson(folder / "Condition.ndjson", conditions)
    write_ndjson(folder / "MedicationStatement.ndjson", statements)
    write_ndjson(
        folder / "Observation.ndjson",
        [observation("o1", "p1", encounter={"reference": "Encounter/e2"})],
    )
    write_ndjson(folder / "zz-late.ndjson", [patient("p9")])
    direct, staged = both(database, staged_database, folder)
    assert sorted(went_direct) == [
        *(("Condition", c) for c in ("c1", "c2", "c4", "c5")),
        ("Encounter", "e1"),
        ("Encounter", "e2"),
        *(("MedicationStatement", m) for m in ("m1", "m2", "m3")),
        ("Observation", "o1"),
    ]  # staged: e3 c6 m5 (excluded), e4 (9 fraction digits), e5 (its Patient comes late),
    # c3 (its Encounter e3 is excluded), m4 (medicationReference)
    assert direct["direct"] == len(went_direct)
    assert all(counts["rejected"] == 0 for counts in direct["resources"].values())
    assert rows(
        database, "SELECT stop_reason FROM cdm.drug_exposure WHERE stop_reason IS NOT NULL"
    ) == [("toxicity",)]
    assert direct["merge_rows"] == staged["merge_rows"] | {
        "changed_key": direct["merge_rows"]["changed_key"],
        "update_state": direct["merge_rows"]["update_state"],
    }
    assert rows(database, "SELECT count(*) FROM rwe.open_exposure") == [(1,)]  # m2
    assert rows(
        database, "SELECT quantity FROM cdm.drug_exposure WHERE quantity IS NOT NULL LIMIT 1"
    ) == [(0.30000000000000004,)]
    # c5 routed to OBSERVATION by its concept's domain; c2's and c5's grades linked to their row
    assert rows(
        database,
        "SELECT observation_source_value, observation_event_id - observation_id,"
        " obs_event_field_concept_id FROM cdm.observation ORDER BY observation_id",
    ) == [("ctcae-grade", -1, 1147127), ("89362005", None, None), ("ctcae-grade", -1, 0)]


def test_an_encounter_read_twice_is_staged_and_one_the_pre_read_missed_starts_over(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pre-read finds a repeated Encounter (or Condition, MedicationStatement) in the
    files not named for Observations, in this process or its own: both versions are staged,
    the merge ranks them. A repeat inside a file named for Observations is not looked for:
    both go direct, the id map's unique key fails the COPY and the run starts over."""
    first, newer = encounter("e1", "p1"), encounter("e1", "p1")
    newer["meta"] = {"lastUpdated": "2024-07-01T00:00:00Z"}
    newer["class"] = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}
    for name, background in (("two", False), ("process", True)):
        folder = tmp_path / name
        write_ndjson(folder / "Patient.ndjson", [patient("p1")])
        write_ndjson(folder / "Encounter.1.ndjson", [newer, encounter("e2", "p1")])
        write_ndjson(folder / "Encounter.2.ndjson", [first])
        write_ndjson(
            folder / "Observation.ndjson",
            [observation("o1", "p1", encounter={"reference": "Encounter/e2"})],
        )
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
            options = {"parallel_min_bytes": 0} if background else {}
            direct, _ = both(database, staged_database, folder, **options)
        assert "through staging" not in caplog.text
        assert direct["direct"] == 2  # e2 and o1; e1's two versions staged
        assert rows(
            database,
            "SELECT visit_source_value FROM cdm.visit_occurrence WHERE visit_occurrence_id = ("
            "SELECT resource_key * 1000 FROM rwe.fhir_resource WHERE fhir_id = 'e1')",
        ) == [("IMP",)]
        for db in (database, staged_database):
            with db.connect() as conn:
                conn.execute(
                    "TRUNCATE rwe.fhir_resource, cdm.visit_occurrence, cdm.person,"
                    " cdm.measurement, cdm.observation_period CASCADE"
                )
                conn.commit()
    folder = tmp_path / "missed"
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    write_ndjson(folder / "Observation.ndjson", [encounter("e1", "p1"), newer])
    with caplog.at_level(logging.INFO, logger="rwe.etl.run"):
        direct, _ = both(database, staged_database, folder)
    assert "a resource id occurs more than once" in caplog.text
    assert direct["direct"] == 0


def test_above_the_reject_rate_the_direct_rows_are_taken_back(
    database: Database, tmp_path: Path
) -> None:
    """Nothing is loaded: the direct rows, their id-map rows and their derive marks go."""
    folder = tmp_path / "in"
    write_ndjson(folder / "Patient.ndjson", [patient("p1")])
    write_ndjson(folder / "Encounter.ndjson", [encounter("e1", "p1")])
    write_ndjson(
        folder / "Condition.ndjson",
        [
            condition(
                "c1", "p1", extension=[{"url": "urn:rwe:extension:ctcae-grade", "valueInteger": 2}]
            )
        ],
    )
    write_ndjson(folder / "MedicationStatement.ndjson", [statement("m1", "p1")])
    labs = write_ndjson(folder / "Observation.ndjson", [observation("o1", "p1")])
    with labs.open("a") as file:  # two rejects: no id, not an object
        file.write('{"resourceType": "Observation"}\n"x"\n')

    with pytest.raises(RejectRateError) as failed:
        etl(database, folder, max_reject_rate=0.1)
    assert failed.value.report["direct"] == 4  # e1 c1 m1 o1 were written, then taken back
    # nor is any person left marked for `rwe derive`, as the staged path marks none
    assert rows(database, "SELECT count(*) FROM rwe.derive_dirty_person") == [(0,)]
    for table in (
        "rwe.fhir_resource",
        *(
            f"cdm.{t}"
            for t in (
                "person",
                "visit_occurrence",
                "condition_occurrence",
                "drug_exposure",
                "observation",
                "measurement",
                "observation_period",
            )
        ),
    ):
        assert rows(database, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_bundle_entries_are_staged(
    database: Database,
    staged_database: Database,
    tmp_path: Path,
    went_direct: list[tuple[str, str]],
) -> None:
    """The pre-read reads NDJSON lines only: Bundle entries (here with urn:uuid references)
    are staged, so an Encounter repeated across Bundles is ranked by the merge."""
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p", "resource": patient("p1")},
            {
                "fullUrl": "urn:uuid:e",
                "resource": {**encounter("e1", "p1"), "subject": {"reference": "urn:uuid:p"}},
            },
            {
                "fullUrl": "urn:uuid:c",
                "resource": {
                    **condition("c1", "p1"),
                    "subject": {"reference": "urn:uuid:p"},
                    "encounter": {"reference": "urn:uuid:e"},
                },
            },
        ],
    }
    (tmp_path / "in").mkdir()
    for name in ("a.json", "b.json"):  # the same Bundle twice
        (tmp_path / "in" / name).write_text(json.dumps(bundle))
    both(database, staged_database, tmp_path / "in")
    assert went_direct == []
    assert rows(database, "SELECT count(*) FROM cdm.condition_occurrence") == [(1,)]


def _pipe_pre_read(sources: list[Source], *messages: object) -> PreRead:
    """A PreRead whose 'process' sent these messages and then ended."""
    pre_read = PreRead(sources, background=False)
    reading, writing = multiprocessing.Pipe(duplex=False)
    for message in messages:
        writing.send(message)
    writing.close()
    pre_read._conn = reading
    return pre_read


@pytest.mark.parametrize(
    "messages",
    [(frozenset({1}),), ("OSError: disk gone",), ()],
    ids=["died after the first answer", "failed at once", "died at once"],
)
def test_a_pre_read_process_that_fails_midway_is_finished_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, messages: tuple[object, ...]
) -> None:
    sources = _labs(tmp_path)
    pre_read = _pipe_pre_read(sources, *messages)
    with caplog.at_level(logging.DEBUG, logger="rwe.etl.preread"):
        generic = pre_read.generic()
        assert pre_read.result() == frozenset({id_hash(b"o3")})
    assert generic == (messages[0] if messages and isinstance(messages[0], frozenset) else set())
    assert caplog.text.count("pre-reading here") == 1
    assert pre_read._conn is None


def test_a_small_input_is_pre_read_here_without_a_failure_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="rwe.etl.preread"):
        assert PreRead(_labs(tmp_path), background=False).result() == {id_hash(b"o3")}
    assert "failed" not in caplog.text


def test_the_pre_read_does_not_parse_json_files(tmp_path: Path) -> None:
    def unread() -> Iterator[Any]:
        raise AssertionError("a .json file was read")

    sources = [*_labs(tmp_path), Source(str(tmp_path / "bundle.json"), unread)]
    assert repeated_ids(sources) == {id_hash(b"o3")}
    assert preread.repeated_generic(sources) == set()
