"""MedicationAdministration → DRUG_EXPOSURE, type EHR administration record 32818."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import later_or_equal
from rwe.etl.transform.common import Context, RejectError, Result, excluded, reference, when
from rwe.etl.transform.drug import dose, exposure


def transform_medication_administration(resource: dict[str, Any], ctx: Context) -> Result:
    """One MedicationAdministration → a DRUG_EXPOSURE row (pure)."""
    status = resource.get("status")
    if status in ctx.mappings.excluded_status["MedicationAdministration"]:
        return excluded(f"status {status}", reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    end = None
    if resource.get("effectiveDateTime") is not None:
        start = when(
            resource["effectiveDateTime"], "MedicationAdministration.effectiveDateTime", ctx
        )
    elif isinstance(resource.get("effectivePeriod"), dict) and resource["effectivePeriod"].get(
        "start"
    ):
        period = resource["effectivePeriod"]
        start = when(period["start"], "MedicationAdministration.effectivePeriod.start", ctx)
        if period.get("end"):
            end = when(period["end"], "MedicationAdministration.effectivePeriod.end", ctx)
    else:
        raise RejectError("date", "MedicationAdministration has no effective[x]")
    if not later_or_equal(end, start):
        raise RejectError("date", "MedicationAdministration.effectivePeriod.end is before start")
    # THEMIS: an administration record ends the day it starts unless a period says otherwise.
    result = exposure(
        resource,
        ctx,
        start,
        end or start,
        ctx.mappings.type_for("MedicationAdministration"),
        person,
    )
    if end is not None:
        result.rows[0][R.VERBATIM_END_DATE] = end.utc_date().isoformat()
    if resource.get("dosage") is not None:
        dose(resource["dosage"], "MedicationAdministration.dosage", ctx, result.rows[0])
    return result
