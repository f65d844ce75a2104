"""Encounter → VISIT_OCCURRENCE (visit concept from Encounter.class)."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import later_or_equal
from rwe.etl.transform.common import Context, RejectError, Result, excluded, reference, when


def transform_encounter(resource: dict[str, Any], ctx: Context) -> Result:
    """One Encounter → a VISIT_OCCURRENCE row (pure)."""
    status = resource.get("status")
    if status in ctx.mappings.excluded_status["Encounter"]:
        return excluded(f"status {status}", reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    period = resource.get("period")
    if not isinstance(period, dict) or period.get("start") is None:
        raise RejectError("date", "Encounter.period.start is missing (§f2o-070)")
    start = when(period["start"], "Encounter.period.start", ctx)
    end = when(period["end"], "Encounter.period.end", ctx) if period.get("end") else None
    if not later_or_equal(end, start):
        raise RejectError("date", "Encounter.period.end is before period.start")
    klass = resource.get("class")
    code = klass.get("code") if isinstance(klass, dict) else None
    row = R.new_event("visit_occurrence", 0)
    row[R.CONCEPT_ID] = ctx.mappings.value_concept.get(("encounter_class", code or ""), 0)
    if row[R.CONCEPT_ID] == 0 and code:
        ctx.vocabulary.unmapped[("http://terminology.hl7.org/CodeSystem/v3-ActCode", code)] += 1
    row[R.SOURCE_CONCEPT_ID] = 0
    row[R.SOURCE_VALUE] = code[:50] if isinstance(code, str) else None
    row[R.START_DATE], row[R.START_DATETIME] = start.date, start.datetime
    final = end or start
    row[R.END_DATE], row[R.END_DATETIME] = final.date, final.datetime
    row[R.TYPE_CONCEPT_ID] = ctx.mappings.type_for("Encounter")
    return Result(rows=[row], person_ref=person)
