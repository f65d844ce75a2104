"""Patient → PERSON (gender, birth date parts, US Core race/ethnicity) and DEATH; no names,
identifiers or addresses (§f2o-020..022)."""

from __future__ import annotations

from typing import Any

from rwe.etl.dates import DateError, parse_when
from rwe.etl.transform.common import Context, RejectError, Result, when

US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


def transform_patient(resource: dict[str, Any], ctx: Context) -> Result:
    """One Patient → a PERSON row and maybe a DEATH row (pure)."""
    values = ctx.mappings.value_concept
    gender = resource.get("gender")
    if gender is not None and not isinstance(gender, str):
        raise RejectError("structure", "Patient.gender is not a code")
    birth = resource.get("birthDate")
    if birth is None:
        raise RejectError(
            "structure", "Patient.birthDate is missing (PERSON.year_of_birth is required)"
        )
    try:
        born = parse_when(birth, "Patient.birthDate")
    except DateError as exc:
        raise RejectError("date", str(exc)) from exc
    if born.datetime is not None:
        raise RejectError("date", "Patient.birthDate is a dateTime, not a date")
    year, month, day = str(born.date).split("-")
    if born.precision < 3:
        ctx.notes["partial birthDate (month/day left empty)"] += 1
    race, race_source = _omb(resource, US_CORE_RACE, "race", values)
    ethnicity, ethnicity_source = _omb(resource, US_CORE_ETHNICITY, "ethnicity", values)
    death_date = death_datetime = death_type = None
    if resource.get("deceasedDateTime") is not None:
        died = when(resource["deceasedDateTime"], "Patient.deceasedDateTime", ctx)
        death_date, death_datetime = died.date, died.datetime
        death_type = ctx.mappings.type_for("Patient", "death")
    elif resource.get("deceasedBoolean") is True:
        ctx.notes["deceasedBoolean true without a date: no DEATH row"] += 1
    person = (
        values.get(("gender", gender or ""), 0),
        gender,
        int(year),
        int(month) if born.precision >= 2 else None,
        int(day) if born.precision >= 3 else None,
        None,
        race,
        race_source,
        ethnicity,
        ethnicity_source,
        death_date,
        death_datetime,
        death_type,
    )
    return Result(person=person)


def _omb(
    resource: dict[str, Any], url: str, field: str, values: dict[tuple[str, str], int]
) -> tuple[int, str | None]:
    """The OMB category of a US Core race/ethnicity extension; several races → 0 (the
    'More than one race' concept is not in the verified seed), unknown → 0 (OMOP_FACTS §5)."""
    codes: list[str] = []
    extensions = resource.get("extension") or []
    if not isinstance(extensions, list):
        raise RejectError("structure", "Patient.extension must be an array")
    for ext in extensions:
        if not isinstance(ext, dict) or ext.get("url") != url:
            continue
        subs = ext.get("extension") or []
        for sub in subs if isinstance(subs, list) else []:
            if isinstance(sub, dict) and sub.get("url") == "ombCategory":
                coding = sub.get("valueCoding")
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    codes.append(coding["code"])
    if not codes:
        return 0, None
    if len(codes) > 1:
        return 0, "multiple"
    return values.get((field, codes[0]), 0), codes[0]
