"""FHIR R4 resource dicts, one builder per resource type (no randomness, no I/O)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rwe.synth import codes as c

Resource = dict[str, Any]

CATEGORY_LAB = [c.concept(c.OBS_CATEGORY, "laboratory", "Laboratory")]
CATEGORY_EXAM = [c.concept(c.OBS_CATEGORY, "exam", "Exam")]
PROBLEM_LIST = [c.concept(c.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]
ENCOUNTER_DIAGNOSIS = [
    c.concept(c.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")
]
ACTIVE = c.concept(c.CONDITION_CLINICAL, "active", "Active")
RESOLVED = c.concept(c.CONDITION_CLINICAL, "resolved", "Resolved")
CONFIRMED = c.concept(c.CONDITION_VERIFICATION, "confirmed", "Confirmed")
ENTERED_IN_ERROR = c.concept(c.CONDITION_VERIFICATION, "entered-in-error", "Entered in Error")
AMBULATORY = {"system": c.ACT_CODE, "code": "AMB", "display": "ambulatory"}
INPATIENT = {"system": c.ACT_CODE, "code": "IMP", "display": "inpatient encounter"}
SORAFENIB = c.concept(c.RXNORM, c.SORAFENIB_RXNORM, "sorafenib")
ORAL = c.concept(c.SNOMED, c.ORAL_ROUTE_SNOMED, "Oral route")
DATA_ABSENT = c.concept(c.DATA_ABSENT_REASON, "error", "Error")
ECOG_CODE = c.concept(c.LOINC, *c.ECOG_LOINC)
RECIST_CODE = c.concept(c.LOINC, *c.RECIST_LOINC)
SLD_CODE = c.concept(c.STUDY, *c.SLD_STUDY_CODE)
ANTI_TG_CODE = c.concept(c.LOINC, *c.ANTI_TG_LOINC)
ANTI_TG_CUTOFF_IU_ML = 28.0  # positive when >= (reference range high)
ANTI_TG_RANGE = [{"high": {"value": 28.0, "unit": "[IU]/mL", "system": c.UCUM, "code": "[IU]/mL"}}]
RESPONSE = {k: c.concept(c.STUDY, k, v) for k, v in c.RESPONSE_DISPLAY.items()}
STOP_REASON = {k: [c.concept(c.STUDY, k, v)] for k, v in c.STOP_REASON_DISPLAY.items()}
ANALYTE_CODE = {key: c.concept(c.LOINC, loinc, display) for key, loinc, display, _ in c.ANALYTES}
PERCENT_CODE = {
    key: c.concept(c.LOINC, pct, c.PERCENT_DISPLAY[pct]) for key, _, _, pct in c.ANALYTES if pct
}
HISTOLOGY_CODE = {k: c.concept(c.SNOMED, code, d) for k, (code, d) in c.HISTOLOGY.items()}
CHARACTERISTIC_CODE = {k: c.concept(*v) for k, v in c.CHARACTERISTIC.items()}
AE_CODE = {k: c.concept(*v) for k, v in c.ADVERSE_EVENT.items()}

_dates: dict[int, str] = {}
# "HH:MM:SS" of every second of a day: formatting times is the hot path of a large export.
_HMS = tuple(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))


def iso_date(ordinal: int) -> str:
    """YYYY-MM-DD of a date ordinal (cached: exports reuse few thousand dates)."""
    s = _dates.get(ordinal)
    if s is None:
        s = _dates[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def date_time(ordinal: int, second: int, tz: str, tz_seconds: int) -> str:
    """A FHIR dateTime at `second` UTC of the day, written in the offset `tz`.
    Visit times and offsets are chosen so the local date is the UTC date."""
    d = _dates.get(ordinal) or iso_date(ordinal)
    return f"{d}T{_HMS[second + tz_seconds]}{tz}"


def instant(seconds: int) -> str:
    """A FHIR instant (UTC) from seconds since the ordinal epoch."""
    ordinal, rest = divmod(seconds, 86400)
    d = _dates.get(ordinal) or iso_date(ordinal)
    return f"{d}T{_HMS[rest]}Z"


def meta(seconds: int) -> dict[str, str]:
    return {"lastUpdated": instant(seconds)}


def patient(
    pid: str, updated: int, female: bool, birth: str, deceased: str | None, race: str
) -> Resource:
    race_code, race_display = c.RACE[race]
    eth_code, eth_display = c.NOT_HISPANIC
    r: Resource = {
        "resourceType": "Patient",
        "id": pid,
        "meta": meta(updated),
        "extension": [
            {
                "url": c.US_CORE_RACE,
                "extension": [
                    {
                        "url": "ombCategory",
                        "valueCoding": c.coding(c.OMB_RACE_ETHNICITY, race_code, race_display),
                    },
                    {"url": "text", "valueString": race_display},
                ],
            },
            {
                "url": c.US_CORE_ETHNICITY,
                "extension": [
                    {
                        "url": "ombCategory",
                        "valueCoding": c.coding(c.OMB_RACE_ETHNICITY, eth_code, eth_display),
                    },
                    {"url": "text", "valueString": eth_display},
                ],
            },
        ],
        "gender": "female" if female else "male",
        "birthDate": birth,
    }
    if deceased is not None:
        r["deceasedDateTime"] = deceased
    return r


def encounter(
    rid: str, updated: int, subject: dict[str, str], status: str, inpatient: bool,
    start: str, end: str | None,
) -> Resource:  # fmt: skip
    period = {"start": start, "end": end} if end is not None else {"start": start}
    return {
        "resourceType": "Encounter",
        "id": rid,
        "meta": meta(updated),
        "status": status,
        "class": INPATIENT if inpatient else AMBULATORY,
        "subject": subject,
        "period": period,
    }


def observation(
    rid: str, updated: int, status: str, category: list[Any], code: dict[str, Any],
    subject: dict[str, str], encounter_ref: dict[str, str] | None, effective: str,
    value_key: str, value: Any,
) -> Resource:  # fmt: skip
    """An Observation; `value_key` is valueQuantity, valueInteger, valueCodeableConcept or
    dataAbsentReason."""
    r: Resource = {
        "resourceType": "Observation",
        "id": rid,
        "meta": meta(updated),
        "status": status,
        "category": category,
        "code": code,
        "subject": subject,
    }
    if encounter_ref is not None:
        r["encounter"] = encounter_ref
    r["effectiveDateTime"] = effective
    r[value_key] = value
    return r


def quantity(value: float | int, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": c.UCUM, "code": unit}


def condition(
    rid: str, updated: int, subject: dict[str, str], code: dict[str, Any], onset: str,
    *, category: list[Any], abatement: str | None = None, grade: int | None = None,
    entered_in_error: bool = False,
) -> Resource:  # fmt: skip
    r: Resource = {"resourceType": "Condition", "id": rid, "meta": meta(updated)}
    if grade is not None:
        r["extension"] = [{"url": c.CTCAE_GRADE_EXTENSION, "valueInteger": grade}]
    if entered_in_error:  # con-5: no clinicalStatus on an entered-in-error Condition
        r["verificationStatus"] = ENTERED_IN_ERROR
    else:
        r["clinicalStatus"] = RESOLVED if abatement is not None else ACTIVE
        r["verificationStatus"] = CONFIRMED
    r["category"] = category
    r["code"] = code
    r["subject"] = subject
    r["onsetDateTime"] = onset
    if abatement is not None:
        r["abatementDateTime"] = abatement
    r["recordedDate"] = onset
    return r


def medication_statement(
    rid: str, updated: int, subject: dict[str, str], status: str, reason: str | None,
    start: str, end: str | None, dose_mg: int, per_day: int,
) -> Resource:  # fmt: skip
    r: Resource = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "meta": meta(updated),
        "status": status,
    }
    if reason is not None:
        r["statusReason"] = STOP_REASON[reason]
    r["medicationCodeableConcept"] = SORAFENIB
    r["subject"] = subject
    r["effectivePeriod"] = {"start": start, "end": end} if end is not None else {"start": start}
    times = "twice daily" if per_day == 2 else "once daily"
    r["dosage"] = [
        {
            "text": f"{dose_mg} mg {times}",
            "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
            "route": ORAL,
            "doseAndRate": [{"doseQuantity": quantity(dose_mg, "mg")}],
        }
    ]
    return r


def deletion_bundle(rid: str, updated: int, references: list[str]) -> Resource:
    """A Bulk Data `deleted` entry: a transaction Bundle of DELETE requests (`Type/id`)."""
    return {
        "resourceType": "Bundle",
        "id": rid,
        "meta": meta(updated),
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": ref}} for ref in references],
    }


def transaction_bundle(rid: str, base_url: str, resources: list[Resource]) -> Resource:
    """One patient's resources as a transaction Bundle of PUTs (fullUrl = base/Type/id)."""
    entries = []
    for r in resources:
        ref = f"{r['resourceType']}/{r['id']}"
        entries.append(
            {
                "fullUrl": f"{base_url}/{ref}",
                "resource": r,
                "request": {"method": "PUT", "url": ref},
            }
        )
    return {"resourceType": "Bundle", "id": rid, "type": "transaction", "entry": entries}
