"""Table-driven tests of the pure transforms, each naming the §f2o statement it checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rwe.etl import rows as R
from rwe.etl.transform import TRANSFORMS, Context, RejectError
from rwe.etl.transform.condition import transform_condition
from rwe.etl.transform.encounter import transform_encounter
from rwe.etl.transform.medication_request import transform_medication_request
from rwe.etl.transform.medication_statement import transform_medication_statement
from rwe.etl.transform.observation import transform_observation
from rwe.etl.transform.patient import transform_patient

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SUBJECT = {"reference": "Patient/p1"}


def lab(code: str = "6690-2", **extra: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": SUBJECT,
        "effectiveDateTime": "2021-03-04T23:30:00+10:00",
        "valueQuantity": {"value": 6.4, "unit": "10*3/uL", "system": UCUM, "code": "10*3/uL"},
    }
    resource.update(extra)
    return resource


def only_row(result: Any) -> list[Any]:
    assert len(result.rows) == 1
    return result.rows[0]


def test_f2o_031_standard_concept_and_source(ctx: Context) -> None:
    """The code resolved against the vocabulary (§f2o-030: existence, standard status; the
    domain in the §f2o-037 tests)."""
    row = only_row(transform_observation(lab(), ctx))
    assert row[R.CONCEPT_ID] == 3000905
    assert row[R.SOURCE_CONCEPT_ID] == 3000905
    assert row[R.SOURCE_VALUE] == "6690-2"


def test_f2o_032_unmapped_code_is_zero_and_counted(ctx: Context) -> None:
    row = only_row(transform_observation(lab("9999-9"), ctx))
    assert (row[R.CONCEPT_ID], row[R.SOURCE_VALUE]) == (0, "9999-9")
    assert ctx.vocabulary.unmapped[(LOINC, "9999-9")] == 1


def test_f2o_033_non_standard_source_maps_to_standard(ctx: Context) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]},
        "onsetDateTime": "2020-01-01",
    }
    row = only_row(transform_condition(condition, ctx))
    assert (row[R.CONCEPT_ID], row[R.SOURCE_CONCEPT_ID]) == (316866, 45591453)


@pytest.mark.parametrize(
    ("codings", "expected"),
    [
        # §f2o-034: the coding that maps to a standard concept wins over a local one
        ([{"system": "urn:acme", "code": "X"}, {"system": LOINC, "code": "777-3"}], 3024929),
        # §f2o-036: userSelected wins
        (
            [
                {"system": LOINC, "code": "777-3"},
                {"system": LOINC, "code": "6690-2", "userSelected": True},
            ],
            3000905,
        ),
    ],
)
def test_f2o_034_036_several_codings(ctx: Context, codings: list[Any], expected: int) -> None:
    resource = lab()
    resource["code"] = {"coding": codings}
    assert only_row(transform_observation(resource, ctx))[R.CONCEPT_ID] == expected


@pytest.mark.parametrize(
    ("resource", "target"),
    [
        (lab(), "measurement"),  # Measurement-domain LOINC
        (
            lab(
                "9999-9",
                category=[{"coding": [{"code": "social-history"}]}],
                valueQuantity=None,
                valueString="x",
            ),
            "observation",
        ),
    ],
)
def test_f2o_037_table_follows_domain(ctx: Context, resource: dict[str, Any], target: str) -> None:
    resource = {k: v for k, v in resource.items() if v is not None}
    assert only_row(transform_observation(resource, ctx))[R.TARGET] == target


def test_f2o_037_condition_in_observation_domain_goes_to_observation(ctx: Context) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c2",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "89362005"}]},
        "onsetDateTime": "2020-01-01",
    }
    assert only_row(transform_condition(condition, ctx))[R.TARGET] == "observation"


@pytest.mark.parametrize(
    ("unit", "concept"), [("10*3/uL", 8848), ("10*9/L", 9444), ("/uL", 8647), ("%", 8554)]
)
def test_units_ucum_to_concept(ctx: Context, unit: str, concept: int) -> None:
    resource = lab(valueQuantity={"value": 1.5, "unit": f"x{unit}", "system": UCUM, "code": unit})
    row = only_row(transform_observation(resource, ctx))
    assert (row[R.VALUE_AS_NUMBER], row[R.UNIT_CONCEPT_ID]) == (1.5, concept)
    assert row[R.UNIT_SOURCE_VALUE] == f"x{unit}"  # the original unit text


def test_unknown_ucum_unit_is_rejected(ctx: Context) -> None:
    resource = lab(valueQuantity={"value": 3, "system": UCUM, "code": "(score)"})
    with pytest.raises(RejectError, match=r"^Observation.valueQuantity.code is not a UCUM unit$"):
        transform_observation(resource, ctx)


@pytest.mark.parametrize(
    ("category", "type_concept"),
    [("laboratory", 32856), ("vital-signs", 32817), ("survey", 32862)],
)
def test_f2o_051_type_concept_by_category(ctx: Context, category: str, type_concept: int) -> None:
    resource = lab(category=[{"coding": [{"code": category}]}])
    assert only_row(transform_observation(resource, ctx))[R.TYPE_CONCEPT_ID] == type_concept


@pytest.mark.parametrize(
    ("kind", "resource", "reason"),
    [
        ("Observation", lab(status="cancelled"), "status cancelled"),
        ("Observation", lab(status="entered-in-error"), "status entered-in-error"),
        (
            "MedicationStatement",
            {
                "resourceType": "MedicationStatement",
                "id": "m",
                "status": "not-taken",
                "subject": SUBJECT,
                "medicationCodeableConcept": {"text": "x"},
            },
            "status not-taken",
        ),
        (
            "Procedure",
            {"resourceType": "Procedure", "id": "x", "status": "not-done", "subject": SUBJECT},
            "status not-done",
        ),
        (
            "MedicationRequest",
            {
                "resourceType": "MedicationRequest",
                "id": "x",
                "status": "active",
                "intent": "proposal",
                "subject": SUBJECT,
            },
            "intent proposal",
        ),
    ],
)
def test_f2o_060_not_realized_events_are_excluded(
    ctx: Context, kind: str, resource: dict[str, Any], reason: str
) -> None:
    result = TRANSFORMS[kind](resource, ctx)
    assert result.excluded == reason and not result.rows


def test_f2o_070_071_partial_dates_are_imputed_and_counted(ctx: Context) -> None:
    row = only_row(transform_observation(lab(effectiveDateTime="1974-12"), ctx))
    assert (row[R.START_DATE], row[R.START_DATETIME]) == ("1974-12-01", None)
    assert ctx.imputed_dates["Observation.effectiveDateTime"] == 1


def test_f2o_072_073_datetime_keeps_offset_for_utc_conversion(ctx: Context) -> None:
    row = only_row(transform_observation(lab(), ctx))
    # PostgreSQL converts it when merging: 2021-03-04T23:30+10:00 = 2021-03-04 13:30 UTC.
    assert row[R.START_DATETIME] == "2021-03-04T23:30:00+10:00"


@pytest.mark.parametrize(
    "value",
    [
        "2014-10-09T14:58:00",
        "2021-02-30",
        "21-01-01",
        "2021-13-01T00:00:00Z",
        "2021-03-04T10:00:00+16:00",  # PostgreSQL refuses offsets of 16 h and more
        "2021-03-04T10:00:00+14:30",  # FHIR: -13:59..+14:00
        "2021-03-04T10:00:00+05:75",
    ],
)
def test_unparseable_dates_are_rejected(ctx: Context, value: str) -> None:
    with pytest.raises(RejectError) as err:
        transform_observation(lab(effectiveDateTime=value), ctx)
    # the reason names the element and the problem, never the value (no PHI in rejects)
    assert err.value.kind == "date" and value not in err.value.message
    assert err.value.message.startswith("Observation.effectiveDateTime ")


@pytest.mark.parametrize("offset", ["+14:00", "-13:59", "+05:45", "Z"])
def test_every_fhir_offset_is_read(ctx: Context, offset: str) -> None:
    row = only_row(
        transform_observation(lab(effectiveDateTime=f"2021-03-04T10:00:00{offset}"), ctx)
    )
    assert row[R.START_DATETIME] == f"2021-03-04T10:00:00{offset}"


def test_value_codeable_concept_recist(ctx: Context) -> None:
    resource = lab(
        "88040-1",
        valueQuantity=None,
        valueCodeableConcept={"coding": [{"system": "urn:rwe:study", "code": "PD"}]},
    )
    del resource["valueQuantity"]
    row = only_row(transform_observation(resource, ctx))
    assert (row[R.CONCEPT_ID], row[R.VALUE_AS_CONCEPT_ID]) == (2000000002, 2000000023)


def test_ecog_value_integer(ctx: Context) -> None:
    resource = lab("89247-1", valueInteger=2)
    del resource["valueQuantity"]
    row = only_row(transform_observation(resource, ctx))
    assert (row[R.CONCEPT_ID], row[R.VALUE_AS_NUMBER]) == (2000000001, 2)


def test_data_absent_reason_gives_no_value(ctx: Context) -> None:
    resource = lab(dataAbsentReason={"coding": [{"code": "unknown"}]})
    del resource["valueQuantity"]
    row = only_row(transform_observation(resource, ctx))
    assert row[R.VALUE_AS_NUMBER] is None and row[R.VALUE_AS_CONCEPT_ID] is None


def test_components_one_row_each_and_reference_range(ctx: Context) -> None:
    resource = lab(
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": "777-3"}]},
                "valueQuantity": {"value": 250, "system": UCUM, "code": "10*3/uL"},
                "referenceRange": [{"low": {"value": 150}, "high": {"value": 400}}],
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "736-9"}]},
                "valueQuantity": {"value": 30, "system": UCUM, "code": "%"},
            },
        ]
    )
    del resource["valueQuantity"]
    result = transform_observation(resource, ctx)
    assert [r[R.ROW_INDEX] for r in result.rows] == [1, 2]
    assert (result.rows[0][R.RANGE_LOW], result.rows[0][R.RANGE_HIGH]) == (150.0, 400.0)


def test_more_components_than_row_ids_are_rejected(ctx: Context) -> None:
    """A resource's OMOP ids are its key * 1000 + row index: component 1000 would take the
    next resource's first id."""
    one = {
        "code": {"coding": [{"system": LOINC, "code": "736-9"}]},
        "valueQuantity": {"value": 30, "system": UCUM, "code": "%"},
    }
    resource = lab(component=[one] * 999)
    del resource["valueQuantity"]
    assert [r[R.ROW_INDEX] for r in transform_observation(resource, ctx).rows][-1] == 999
    resource["component"].append(one)
    with pytest.raises(
        RejectError, match=r"^Observation has 1000 components; rwe loads at most 999"
    ):
        transform_observation(resource, ctx)


def test_ctcae_grade_adds_linked_observation(ctx: Context) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "ae1",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
        "onsetDateTime": "2021-05-01",
        "extension": [{"url": "urn:rwe:extension:ctcae-grade", "valueInteger": 3}],
    }
    main, grade = transform_condition(condition, ctx).rows
    assert main[R.TARGET] == "condition_occurrence"
    assert (grade[R.TARGET], grade[R.CONCEPT_ID], grade[R.VALUE_AS_NUMBER]) == (
        "observation",
        2000000005,
        3,
    )
    assert (grade[R.EVENT_ROW], grade[R.EVENT_FIELD_CONCEPT_ID]) == (0, 1147127)


def test_stopped_statement_stop_reason_route_and_dose(ctx: Context) -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms1",
        "status": "stopped",
        "statusReason": [{"coding": [{"system": "urn:rwe:study", "code": "adverse-event"}]}],
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}]
        },
        "subject": SUBJECT,
        "effectivePeriod": {"start": "2021-01-01", "end": "2021-03-31"},
        "dosage": [
            {
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                "doseAndRate": [{"doseQuantity": {"value": 400, "unit": "mg"}}],
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            }
        ],
    }
    row = only_row(transform_medication_statement(statement, ctx))
    assert (row[R.CONCEPT_ID], row[R.STOP_REASON], row[R.ROUTE_CONCEPT_ID]) == (
        1363387,
        "adverse-event",
        4132161,
    )
    assert (row[R.START_DATE], row[R.END_DATE], row[R.QUANTITY]) == (
        "2021-01-01",
        "2021-03-31",
        400.0,
    )
    assert row[R.TYPE_CONCEPT_ID] == 32817
    assert row[R.SIG] == "400 mg 2/1d"


def test_f2o_052_prescription_type_and_themis_end_date(ctx: Context) -> None:
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "status": "active",
        "intent": "order",
        "subject": SUBJECT,
        "medicationReference": {"reference": "Medication/med1"},
        "authoredOn": "2021-01-01",
        "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "code": "d"}},
    }
    result = transform_medication_request(request, ctx)
    row = only_row(result)
    assert (row[R.TYPE_CONCEPT_ID], row[R.END_DATE], row[R.DAYS_SUPPLY]) == (
        32838,
        "2021-01-30",
        30,
    )
    assert result.medication_ref == "med1"  # resolved when loading


def test_patient_person_death_and_no_identifiers(ctx: Context) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"value": "MRN-123"}],
        "name": [{"family": "Doe"}],
        "gender": "female",
        "birthDate": "1933",
        "deceasedDateTime": "2020-02-03T01:00:00+11:00",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                "extension": [{"url": "ombCategory", "valueCoding": {"code": "2106-3"}}],
            }
        ],
    }
    person = transform_patient(patient, ctx).person
    assert person is not None
    assert person[:5] == (8532, "female", 1933, None, None)  # §f2o-070: year only
    assert person[6] == 8527
    assert person[11] == "2020-02-03T01:00:00+11:00"
    assert "MRN-123" not in repr(person) and "Doe" not in repr(person)  # §f2o-020..022


def test_patient_without_birth_date_is_rejected(ctx: Context) -> None:
    with pytest.raises(RejectError, match="birthDate is missing"):
        transform_patient({"resourceType": "Patient", "id": "x"}, ctx)


def test_encounter_class_and_period_order(ctx: Context) -> None:
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": SUBJECT,
        "period": {"start": "2021-01-02T10:00:00Z", "end": "2021-01-05T10:00:00Z"},
    }
    row = only_row(transform_encounter(encounter, ctx))
    assert (row[R.CONCEPT_ID], row[R.TYPE_CONCEPT_ID]) == (9201, 32827)
    backwards = copy.deepcopy(encounter)
    backwards["period"]["end"] = "2021-01-01T10:00:00Z"
    with pytest.raises(RejectError, match="end is before"):
        transform_encounter(backwards, ctx)


def test_subject_must_be_a_patient(ctx: Context) -> None:
    with pytest.raises(RejectError, match="points to a Group"):
        transform_observation(lab(subject={"reference": "Group/g1"}), ctx)


@pytest.mark.parametrize(
    ("status", "data_date", "end", "imputed"),
    [
        ("active", "2021-06-01", "2021-06-01", 1),  # ongoing: ends on the data date (imputed)
        ("active", None, "2021-01-01", 0),  # no data date known: ends on its start
        ("active", "2020-12-01", "2021-01-01", 0),  # data date before the start: its start
        ("completed", "2021-06-01", "2021-01-01", 0),  # not ongoing: ends on its start
    ],
)
def test_an_ongoing_statement_ends_on_the_data_date(
    ctx: Context, status: str, data_date: str | None, end: str, imputed: int
) -> None:
    """§f2o-070/071: the end of an exposure still running is imputed and counted; the recorded
    end (verbatim_end_date) stays empty."""
    ctx.data_date = data_date
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms-ongoing",
        "status": status,
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}]
        },
        "subject": SUBJECT,
        "effectivePeriod": {"start": "2021-01-01"},
    }
    row = only_row(transform_medication_statement(statement, ctx))
    assert (row[R.START_DATE], row[R.END_DATE], row[R.VERBATIM_END_DATE]) == (
        "2021-01-01",
        end,
        None,
    )
    assert sum(ctx.imputed_dates.values()) == imputed


SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (  # base R4: status and code; no category, value, meta, encounter or performer
            {"resourceType": "Observation", "id": "o", "status": "final",
             "code": {"coding": [{"system": LOINC, "code": "6690-2"}]},
             "subject": SUBJECT, "effectiveDateTime": "2021-03-04"},
            ("measurement", 3000905, 32817),
        ),
        (  # no clinicalStatus, verificationStatus or category (profiles such as US Core add them)
            {"resourceType": "Condition", "id": "c", "subject": SUBJECT,
             "code": {"coding": [{"system": SNOMED, "code": "38341003"}]},
             "onsetDateTime": "2021-03-04"},
            ("condition_occurrence", 316866, 32817),
        ),
        (  # no dosage, reasonCode, informationSource or effectivePeriod end
            {"resourceType": "MedicationStatement", "id": "m", "status": "active",
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "495881"}]},
             "subject": SUBJECT, "effectiveDateTime": "2021-03-04"},
            ("drug_exposure", 1363387, 32817),
        ),
    ],
)  # fmt: skip
def test_f2o_011_the_elements_base_r4_requires_are_enough(
    ctx: Context, resource: dict[str, Any], expected: tuple[str, int, int]
) -> None:
    """A resource with only the elements base R4 requires (plus the subject and date OMOP
    needs) loads: rwe relies on no profile's must-support elements (§f2o-011)."""
    row = only_row(TRANSFORMS[resource["resourceType"]](resource, ctx))
    assert (row[R.TARGET], row[R.CONCEPT_ID], row[R.TYPE_CONCEPT_ID]) == expected


def test_f2o_011_a_patient_needs_only_a_birth_year(ctx: Context) -> None:
    """Base R4 requires nothing of a Patient; OMOP requires a year of birth. No gender,
    name or identifier: gender concept 0."""
    person = transform_patient({"resourceType": "Patient", "id": "p", "birthDate": "1950"}, ctx)
    assert person.person is not None
    assert (person.person[0], person.person[2]) == (0, 1950)
