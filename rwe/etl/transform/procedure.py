"""Procedure → PROCEDURE_OCCURRENCE (or its concept's domain table, §f2o-037)."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.dates import later_or_equal
from rwe.etl.transform.common import (
    Context,
    RejectError,
    Result,
    excluded,
    pick_code,
    reference,
    target_table,
    when,
)


def transform_procedure(resource: dict[str, Any], ctx: Context) -> Result:
    """One Procedure → rows (pure)."""
    status = resource.get("status")
    if status in ctx.mappings.excluded_status["Procedure"]:
        return excluded(f"status {status}", reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    end = None
    if resource.get("performedDateTime") is not None:
        start = when(resource["performedDateTime"], "Procedure.performedDateTime", ctx)
    elif isinstance(resource.get("performedPeriod"), dict) and resource["performedPeriod"].get(
        "start"
    ):
        period = resource["performedPeriod"]
        start = when(period["start"], "Procedure.performedPeriod.start", ctx)
        if period.get("end"):
            end = when(period["end"], "Procedure.performedPeriod.end", ctx)
    else:
        raise RejectError("date", "Procedure has no performedDateTime or performedPeriod.start")
    if not later_or_equal(end, start):
        raise RejectError("date", "Procedure.performedPeriod.end is before its start")
    concept, _s, _c, source_value = pick_code(resource.get("code"), "Procedure.code", ctx)
    table = target_table(concept, "procedure_occurrence", ctx)
    if table == "drug_exposure":
        table = "procedure_occurrence"
    row = R.new_event(table, 0)
    row[R.CONCEPT_ID] = concept.concept_id
    row[R.SOURCE_CONCEPT_ID] = concept.source_concept_id
    row[R.SOURCE_VALUE] = source_value
    row[R.START_DATE], row[R.START_DATETIME] = start.date, start.datetime
    if end is not None:
        row[R.END_DATE], row[R.END_DATETIME] = end.date, end.datetime
    row[R.TYPE_CONCEPT_ID] = ctx.mappings.type_for("Procedure")
    return Result(
        rows=[row], person_ref=person, visit_ref=reference(resource, "encounter", "Encounter", ctx)
    )
