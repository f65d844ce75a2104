"""What the three medication transforms share: the drug (inline, contained or by reference),
dosage → quantity/sig/route, and the DRUG_EXPOSURE row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import When
from rwe.etl.transform.common import (
    SOURCE_VALUE_MAX,
    Context,
    RejectError,
    Result,
    pick_code,
    reference,
    target_table,
)
from rwe.etl.vocabulary import Concept

STOP_REASON_MAX = 20  # DRUG_EXPOSURE.stop_reason is VARCHAR(20)


def drug_concept(
    resource: dict[str, Any], ctx: Context
) -> tuple[Concept | None, str | None, str | None]:
    """(concept, source_value, medication_ref): the drug is a CodeableConcept, a contained
    Medication (`#id`) or a Medication resource resolved when loading (`medication_ref`)."""
    kind = resource["resourceType"]
    if "medicationCodeableConcept" in resource:
        concept, _s, _c, source = pick_code(
            resource["medicationCodeableConcept"], f"{kind}.medicationCodeableConcept", ctx
        )
        return concept, source, None
    ref = resource.get("medicationReference")
    if ref is None:
        raise RejectError("structure", f"{kind} has no medication[x] (it is required)")
    target = ref.get("reference") if isinstance(ref, dict) else None
    if isinstance(target, str) and target.startswith("#"):
        for contained in resource.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id") == target[1:]:
                if contained.get("resourceType") != "Medication":
                    break
                concept, _s, _c, source = pick_code(
                    contained.get("code"), f"{kind}.contained Medication.code", ctx
                )
                return concept, source, None
        raise RejectError("reference", f"{kind}.medicationReference {target} is not contained")
    med = reference(resource, "medicationReference", "Medication", ctx, required=True)
    return None, None, med


def dose(dosage: Any, kind: str, ctx: Context, row: list[Any]) -> None:
    """Dosage → sig, route, quantity (the amount per dose) and dose unit."""
    if not isinstance(dosage, dict):
        raise RejectError("structure", f"{kind} dosage is not an object")
    text = dosage.get("text")
    route = dosage.get("route")
    if isinstance(route, dict):
        for coding in route.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                code = coding["code"]
                row[R.ROUTE_CONCEPT_ID] = ctx.mappings.value_concept.get(("route", code), 0)
                row[R.ROUTE_SOURCE_VALUE] = code[:SOURCE_VALUE_MAX]
                break
    quantity = dosage.get("dose")  # MedicationAdministration.dosage.dose
    rates = dosage.get("doseAndRate")
    if quantity is None and isinstance(rates, list) and rates and isinstance(rates[0], dict):
        quantity = rates[0].get("doseQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        row[R.QUANTITY] = float(quantity["value"])
        unit = quantity.get("unit") or quantity.get("code")
        if isinstance(unit, str):
            row[R.DOSE_UNIT_SOURCE_VALUE] = unit[:SOURCE_VALUE_MAX]
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(text, str) and row[R.QUANTITY] is not None:
        text = f"{row[R.QUANTITY]:g} {row[R.DOSE_UNIT_SOURCE_VALUE] or ''}".strip()
        if isinstance(repeat, dict) and repeat.get("frequency") and repeat.get("periodUnit"):
            text += f" {repeat['frequency']}/{repeat.get('period', 1)}{repeat['periodUnit']}"
    row[R.SIG] = text if isinstance(text, str) else None


def exposure(
    resource: dict[str, Any],
    ctx: Context,
    start: When,
    end: When,
    type_concept: int,
    person: str | None,
) -> Result:
    """The DRUG_EXPOSURE row (or the table of the concept's domain)."""
    concept, source, med_ref = drug_concept(resource, ctx)
    table = "drug_exposure" if concept is None else target_table(concept, "drug_exposure", ctx)
    if table not in ("drug_exposure", "observation"):
        table = "drug_exposure"
    row = R.new_event(table, 0)
    if concept is not None:
        row[R.CONCEPT_ID] = concept.concept_id
        row[R.SOURCE_CONCEPT_ID] = concept.source_concept_id
        row[R.SOURCE_VALUE] = source
    row[R.START_DATE], row[R.START_DATETIME] = start.date, start.datetime
    row[R.END_DATE], row[R.END_DATETIME] = end.date, end.datetime
    row[R.TYPE_CONCEPT_ID] = type_concept
    return Result(
        rows=[row],
        person_ref=person,
        visit_ref=reference(resource, _encounter_element(resource), "Encounter", ctx),
        medication_ref=med_ref,
    )


def _encounter_element(resource: dict[str, Any]) -> str:
    return (
        "context"
        if resource["resourceType"] in ("MedicationStatement", "MedicationAdministration")
        else "encounter"
    )


def plus_days(start: When, days: int) -> When:
    """start + days (date only): THEMIS end-date rules for exposures without an end."""
    date = start.utc_date() + dt.timedelta(days=days)
    return When(date.isoformat(), None, True, 3)


def ongoing_end(start: When, element: str, ctx: Context) -> When | None:
    """The end of an exposure still ongoing (status active, no end): the input's data date
    (`ctx.data_date`), an imputed date counted under `element` (§f2o-070/071); None (the
    caller ends it on its start) without a data date or when the start is later."""
    if ctx.data_date is None or dt.date.fromisoformat(ctx.data_date) < start.utc_date():
        return None
    ctx.imputed_dates[element] += 1
    return When(ctx.data_date, None, True, 3)


def stop_reason(resource: dict[str, Any]) -> str | None:
    """`statusReason` of a stopped medication → stop_reason (its code, else its text)."""
    reasons = resource.get("statusReason")
    if isinstance(reasons, dict):
        reasons = [reasons]
    if not isinstance(reasons, list):
        return None
    for reason in reasons:
        if not isinstance(reason, dict):
            continue
        for coding in reason.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])[:STOP_REASON_MAX]
        if isinstance(reason.get("text"), str):
            return str(reason["text"])[:STOP_REASON_MAX]
    return None
