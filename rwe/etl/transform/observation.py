"""Observation → MEASUREMENT or OBSERVATION by concept domain (§f2o-037); components → one row
each; `dataAbsentReason` → no value; `referenceRange` → range_low/high."""

from __future__ import annotations

from typing import Any

from rwe.etl import rows as R
from rwe.etl.transform.common import (
    SOURCE_VALUE_MAX,
    Context,
    RejectError,
    Result,
    category_codes,
    excluded,
    pick_code,
    reference,
    target_table,
    when,
)
from rwe.etl.units import is_ucum
from rwe.etl.vocabulary import UCUM_SYSTEM

VALUE_AS_STRING_MAX = 60  # OBSERVATION.value_as_string is VARCHAR(60)
VALUE_KEYS = frozenset(
    f"value{kind}"
    for kind in [
        "Quantity",
        "CodeableConcept",
        "String",
        "Boolean",
        "Integer",
        "Range",
        "Ratio",
        "SampledData",
        "Time",
        "DateTime",
        "Period",
    ]
) | {"dataAbsentReason"}


def transform_observation(resource: dict[str, Any], ctx: Context) -> Result:
    """One Observation → rows (pure)."""
    status = resource.get("status")
    if status in ctx.mappings.excluded_status["Observation"]:
        return excluded(f"status {status}", reference(resource, "subject", "Patient", ctx))
    person = reference(resource, "subject", "Patient", ctx, required=True)
    start = _effective(resource, ctx)
    categories = category_codes(resource)
    type_concept = ctx.mappings.type_for("Observation", _type_category(categories))
    result = Result(person_ref=person, visit_ref=reference(resource, "encounter", "Encounter", ctx))
    components = resource.get("component")
    has_value = not VALUE_KEYS.isdisjoint(resource)
    if has_value or not components:
        row = _row(resource, "Observation", 0, categories, ctx)
        result.rows.append(row)
    if components:
        if not isinstance(components, list):
            raise RejectError("structure", "Observation.component is not an array")
        if len(components) >= R.MAX_ROWS:
            raise RejectError(
                "structure",
                f"Observation has {len(components)} components; rwe loads at most"
                f" {R.MAX_ROWS - 1} (one OMOP row each, ids resource key * 1000 + index)",
            )
        for index, component in enumerate(components, start=1):
            if not isinstance(component, dict):
                raise RejectError("structure", "Observation.component holds a non-object")
            result.rows.append(
                _row(component, f"Observation.component[{index - 1}]", index, categories, ctx)
            )
    for row in result.rows:
        row[R.START_DATE] = start.date
        row[R.START_DATETIME] = start.datetime
        row[R.TYPE_CONCEPT_ID] = type_concept
    return result


def _effective(resource: dict[str, Any], ctx: Context) -> Any:
    value = resource.get("effectiveDateTime")
    if value is not None:
        return when(value, "Observation.effectiveDateTime", ctx)
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and period.get("start") is not None:
        return when(period["start"], "Observation.effectivePeriod.start", ctx)
    if resource.get("effectiveInstant") is not None:
        return when(resource["effectiveInstant"], "Observation.effectiveInstant", ctx)
    if resource.get("issued") is not None:
        return when(resource["issued"], "Observation.issued", ctx)
    raise RejectError("date", "Observation has no effective[x] or issued date (§f2o-070)")


def _row(
    element: dict[str, Any], name: str, index: int, categories: list[str], ctx: Context
) -> list[Any]:
    concept, _system, _code, source_value = pick_code(element.get("code"), f"{name}.code", ctx)
    quantity = element.get("valueQuantity")
    default = ctx.mappings.default_table_for(
        "Observation", ["quantity", *categories] if quantity is not None else categories
    )
    table = target_table(concept, default, ctx)
    if table not in ("measurement", "observation"):
        table = default if default in ("measurement", "observation") else "observation"
    row = R.new_event(table, index)
    row[R.CONCEPT_ID] = concept.concept_id
    row[R.SOURCE_CONCEPT_ID] = concept.source_concept_id
    row[R.SOURCE_VALUE] = source_value
    if "dataAbsentReason" in element:
        return row  # no value (§ mapping outline)
    if quantity is not None:
        _quantity(quantity, f"{name}.valueQuantity", row, ctx)
    elif "valueCodeableConcept" in element:
        value, _s, _c, value_source = pick_code(
            element["valueCodeableConcept"], f"{name}.valueCodeableConcept", ctx
        )
        row[R.VALUE_AS_CONCEPT_ID] = value.concept_id
        row[R.VALUE_SOURCE_VALUE] = value_source
    elif "valueInteger" in element:
        value_int = element["valueInteger"]
        if isinstance(value_int, bool) or not isinstance(value_int, int):
            raise RejectError("structure", f"{name}.valueInteger is not an integer")
        row[R.VALUE_AS_NUMBER] = value_int
        row[R.VALUE_SOURCE_VALUE] = str(value_int)
    elif "valueString" in element:
        text = element["valueString"]
        if not isinstance(text, str):
            raise RejectError("structure", f"{name}.valueString is not a string")
        if table == "observation":
            row[R.VALUE_AS_STRING] = text[:VALUE_AS_STRING_MAX]
        row[R.VALUE_SOURCE_VALUE] = text[:SOURCE_VALUE_MAX]
    elif "valueBoolean" in element:
        row[R.VALUE_SOURCE_VALUE] = str(element["valueBoolean"]).lower()
        if table == "observation":
            row[R.VALUE_AS_STRING] = row[R.VALUE_SOURCE_VALUE]
    ranges = element.get("referenceRange")
    if isinstance(ranges, list) and ranges and isinstance(ranges[0], dict):
        low, high = ranges[0].get("low"), ranges[0].get("high")
        if isinstance(low, dict) and isinstance(low.get("value"), int | float):
            row[R.RANGE_LOW] = float(low["value"])
        if isinstance(high, dict) and isinstance(high.get("value"), int | float):
            row[R.RANGE_HIGH] = float(high["value"])
    return row


def _quantity(quantity: Any, name: str, row: list[Any], ctx: Context) -> None:
    if not isinstance(quantity, dict):
        raise RejectError("structure", f"{name} is not a Quantity object")
    value = quantity.get("value")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RejectError("structure", f"{name}.value is not a number")
        row[R.VALUE_AS_NUMBER] = value
    comparator = quantity.get("comparator")
    row[R.VALUE_SOURCE_VALUE] = f"{comparator or ''}{value}"[:SOURCE_VALUE_MAX]
    code = quantity.get("code")
    unit_text = quantity.get("unit")
    if isinstance(code, str) and code:
        if quantity.get("system") == UCUM_SYSTEM:
            if not is_ucum(code):
                raise RejectError("unit", f"{name}.code is not a UCUM unit")
            row[R.UNIT_CONCEPT_ID] = ctx.vocabulary.unit(code)
        else:
            row[R.UNIT_CONCEPT_ID] = 0
        row[R.UNIT_SOURCE_VALUE] = (unit_text if isinstance(unit_text, str) else code)[
            :SOURCE_VALUE_MAX
        ]
    elif isinstance(unit_text, str) and unit_text:
        row[R.UNIT_CONCEPT_ID] = 0
        row[R.UNIT_SOURCE_VALUE] = unit_text[:SOURCE_VALUE_MAX]


def _type_category(categories: list[str]) -> str:
    if "laboratory" in categories:
        return "laboratory"
    return categories[0] if categories else "*"
