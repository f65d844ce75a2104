"""Condition → CONDITION_OCCURRENCE (or the table of its concept's domain, §f2o-037); a CTCAE
grade extension adds an OBSERVATION row linked to the condition (observation_event_id)."""

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

CTCAE_GRADE_URL = "urn:rwe:extension:ctcae-grade"
CTCAE_GRADE_CONCEPT = 2000000005  # local concept "CTCAE grade of adverse event" (§f2o-039)
CONDITION_OCCURRENCE_ID_FIELD = (
    1147127  # CDM field concept condition_occurrence.condition_occurrence_id
)


def transform_condition(resource: dict[str, Any], ctx: Context) -> Result:
    """One Condition → rows (pure)."""
    verification = _code_of(resource.get("verificationStatus"))
    if verification in ctx.mappings.excluded_status["Condition"]:
        return excluded(
            f"verificationStatus {verification}", reference(resource, "subject", "Patient", ctx)
        )
    person = reference(resource, "subject", "Patient", ctx, required=True)
    start = _onset(resource, ctx)
    end = None
    if resource.get("abatementDateTime") is not None:
        end = when(resource["abatementDateTime"], "Condition.abatementDateTime", ctx)
    elif isinstance(resource.get("abatementPeriod"), dict) and resource["abatementPeriod"].get(
        "end"
    ):
        end = when(resource["abatementPeriod"]["end"], "Condition.abatementPeriod.end", ctx)
    if not later_or_equal(end, start):
        raise RejectError("date", "Condition abatement is before its onset")
    concept, _s, _c, source_value = pick_code(resource.get("code"), "Condition.code", ctx)
    table = target_table(concept, "condition_occurrence", ctx)
    if table == "drug_exposure":
        table = "condition_occurrence"  # a drug concept needs dose fields a Condition lacks
    row = R.new_event(table, 0)
    row[R.CONCEPT_ID] = concept.concept_id
    row[R.SOURCE_CONCEPT_ID] = concept.source_concept_id
    row[R.SOURCE_VALUE] = source_value
    row[R.START_DATE], row[R.START_DATETIME] = start.date, start.datetime
    if end is not None:
        row[R.END_DATE], row[R.END_DATETIME] = end.date, end.datetime
    row[R.TYPE_CONCEPT_ID] = ctx.mappings.type_for("Condition")
    result = Result(
        rows=[row],
        person_ref=person,
        visit_ref=reference(resource, "encounter", "Encounter", ctx),
    )
    grade = _ctcae_grade(resource)
    if grade is not None:
        obs = R.new_event("observation", 1)
        obs[R.CONCEPT_ID] = CTCAE_GRADE_CONCEPT
        obs[R.SOURCE_CONCEPT_ID] = 0
        obs[R.SOURCE_VALUE] = "ctcae-grade"
        obs[R.VALUE_AS_NUMBER] = grade
        obs[R.VALUE_SOURCE_VALUE] = str(grade)
        obs[R.START_DATE], obs[R.START_DATETIME] = start.date, start.datetime
        obs[R.TYPE_CONCEPT_ID] = ctx.mappings.type_for("Condition", "ctcae-grade")
        if table == "condition_occurrence":
            obs[R.EVENT_ROW] = 0
            obs[R.EVENT_FIELD_CONCEPT_ID] = CONDITION_OCCURRENCE_ID_FIELD
        elif table == "observation":
            # An Observation-domain condition (e.g. weight loss) is row 0 of OBSERVATION: link
            # the grade to its observation_id. The field concept of observation.observation_id
            # is not verified (../vocab/OMOP_FACTS.md), so 0 "no matching concept".
            obs[R.EVENT_ROW] = 0
            obs[R.EVENT_FIELD_CONCEPT_ID] = 0
        result.rows.append(obs)
    return result


def _onset(resource: dict[str, Any], ctx: Context) -> Any:
    if resource.get("onsetDateTime") is not None:
        return when(resource["onsetDateTime"], "Condition.onsetDateTime", ctx)
    period = resource.get("onsetPeriod")
    if isinstance(period, dict) and period.get("start") is not None:
        return when(period["start"], "Condition.onsetPeriod.start", ctx)
    if resource.get("recordedDate") is not None:
        return when(resource["recordedDate"], "Condition.recordedDate", ctx)
    raise RejectError(
        "date", "Condition has no onsetDateTime, onsetPeriod.start or recordedDate (§f2o-070)"
    )


def _code_of(value: Any) -> str | None:
    if isinstance(value, dict):
        for coding in value.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def _ctcae_grade(resource: dict[str, Any]) -> int | None:
    extensions = resource.get("extension")
    if not isinstance(extensions, list):
        return None
    for ext in extensions:
        if isinstance(ext, dict) and ext.get("url") == CTCAE_GRADE_URL:
            grade = ext.get("valueInteger")
            if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
                raise RejectError("structure", "CTCAE grade extension value is not 1..5")
            return grade
    return None
