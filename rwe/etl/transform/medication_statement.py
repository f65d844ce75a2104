"""MedicationStatement → DRUG_EXPOSURE; `stopped` + statusReason → stop_reason; type Patient
self-report 32865 when the patient reported it (§f2o-053), else EHR 32817."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import later_or_equal
from rwe.etl.transform.common import Context, RejectError, Result, excluded, reference, when
from rwe.etl.transform.drug import dose, exposure, ongoing_end, stop_reason


def transform_medication_statement(resource: dict[str, Any], ctx: Context) -> Result:
    """One MedicationStatement → a DRUG_EXPOSURE row (pure)."""
    status = resource.get("status")
    if status in ctx.mappings.excluded_status["MedicationStatement"]:
        return excluded(f"status {status}", reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    end = None
    if resource.get("effectiveDateTime") is not None:
        start = when(resource["effectiveDateTime"], "MedicationStatement.effectiveDateTime", ctx)
    elif isinstance(resource.get("effectivePeriod"), dict) and resource["effectivePeriod"].get(
        "start"
    ):
        period = resource["effectivePeriod"]
        start = when(period["start"], "MedicationStatement.effectivePeriod.start", ctx)
        if period.get("end"):
            end = when(period["end"], "MedicationStatement.effectivePeriod.end", ctx)
    elif resource.get("dateAsserted") is not None:
        start = when(resource["dateAsserted"], "MedicationStatement.dateAsserted", ctx)
    else:
        raise RejectError("date", "MedicationStatement has no effective[x] or dateAsserted")
    if not later_or_equal(end, start):
        raise RejectError("date", "MedicationStatement.effectivePeriod.end is before its start")
    source = reference(resource, "informationSource", "Patient", ctx) or reference(
        resource, "informationSource", "RelatedPerson", ctx
    )
    category = "patient-reported" if source else "*"
    type_concept = ctx.mappings.type_for("MedicationStatement", category)
    recorded_end = end
    if end is None and status == "active":
        end = ongoing_end(start, "MedicationStatement.effectivePeriod.end (ongoing)", ctx)
    result = exposure(resource, ctx, start, end or start, type_concept, person)
    row = result.rows[0]
    if recorded_end is not None:
        row[R.VERBATIM_END_DATE] = recorded_end.utc_date().isoformat()
    dosages = resource.get("dosage")
    if isinstance(dosages, list) and dosages:
        dose(dosages[0], "MedicationStatement.dosage[0]", ctx, row)
    if status == "stopped":
        row[R.STOP_REASON] = stop_reason(resource)
    return result
