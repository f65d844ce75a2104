"""MedicationRequest → DRUG_EXPOSURE, type EHR prescription 32838 (§f2o-052)."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import later_or_equal
from rwe.etl.transform.common import Context, RejectError, Result, excluded, reference, when
from rwe.etl.transform.drug import dose, exposure, plus_days, stop_reason

WRITTEN_PRESCRIPTION_DAYS = 29  # THEMIS: a written prescription without supply ends start + 29


def transform_medication_request(resource: dict[str, Any], ctx: Context) -> Result:
    """One MedicationRequest → a DRUG_EXPOSURE row (pure)."""
    status, intent = resource.get("status"), resource.get("intent")
    rules = ctx.mappings.excluded_status["MedicationRequest"]
    if status in rules or f"intent:{intent}" in rules:
        reason = f"status {status}" if status in rules else f"intent {intent}"
        return excluded(reason, reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    instructions = resource.get("dosageInstruction")
    if instructions is not None and not isinstance(instructions, list):
        raise RejectError("structure", "MedicationRequest.dosageInstruction is not an array")
    first = instructions[0] if instructions else None
    bounds = _bounds(first)
    if bounds.get("start"):
        start = when(bounds["start"], "dosageInstruction.timing.repeat.boundsPeriod.start", ctx)
    elif resource.get("authoredOn") is not None:
        start = when(resource["authoredOn"], "MedicationRequest.authoredOn", ctx)
    else:
        raise RejectError("date", "MedicationRequest has no authoredOn or boundsPeriod.start")
    dispense = resource.get("dispenseRequest")
    dispense = dispense if isinstance(dispense, dict) else {}
    days_supply = _days(dispense.get("expectedSupplyDuration"))
    recorded = bool(bounds.get("end"))
    if recorded:
        end = when(bounds["end"], "dosageInstruction.timing.repeat.boundsPeriod.end", ctx)
    elif days_supply:
        end = plus_days(start, days_supply - 1)
    else:
        end = plus_days(start, WRITTEN_PRESCRIPTION_DAYS)
    if not later_or_equal(end, start):
        raise RejectError("date", "MedicationRequest boundsPeriod.end is before its start")
    result = exposure(resource, ctx, start, end, ctx.mappings.type_for("MedicationRequest"), person)
    row = result.rows[0]
    if first is not None:
        dose(first, "MedicationRequest.dosageInstruction[0]", ctx, row)
    supplied = dispense.get("quantity")
    if isinstance(supplied, dict) and isinstance(supplied.get("value"), int | float):
        row[R.QUANTITY] = float(supplied["value"])
    row[R.DAYS_SUPPLY] = days_supply
    if recorded:
        row[R.VERBATIM_END_DATE] = end.utc_date().isoformat()
    repeats = dispense.get("numberOfRepeatsAllowed")
    row[R.REFILLS] = repeats if isinstance(repeats, int) and not isinstance(repeats, bool) else None
    if status == "stopped":
        row[R.STOP_REASON] = stop_reason(resource)
    return result


def _bounds(dosage: Any) -> dict[str, Any]:
    if isinstance(dosage, dict):
        timing = dosage.get("timing")
        if isinstance(timing, dict) and isinstance(timing.get("repeat"), dict):
            bounds = timing["repeat"].get("boundsPeriod")
            if isinstance(bounds, dict):
                return bounds
    return {}


def _days(duration: Any) -> int | None:
    if not isinstance(duration, dict) or not isinstance(duration.get("value"), int | float):
        return None
    factor = {"d": 1, "wk": 7, "mo": 30, "a": 365, "h": 1 / 24}.get(
        str(duration.get("code") or duration.get("unit") or "d"), 1
    )
    days = round(float(duration["value"]) * factor)
    return days if days > 0 else None
