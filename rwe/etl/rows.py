"""Row shapes the transforms produce and the writer stages (one shape per staging table)."""

from __future__ import annotations

from typing import Any

# One staged clinical row, whatever its OMOP table (`target`); the merge SQL copies the
# columns each table has. The writer prepends the resource occurrence number `occ`.
EVENT_COLUMNS = (
    "row_index",
    "target",
    "concept_id",
    "source_concept_id",
    "source_value",
    "start_date",
    "start_datetime",
    "end_date",
    "end_datetime",
    "type_concept_id",
    "value_as_number",
    "value_as_concept_id",
    "value_as_string",
    "value_source_value",
    "unit_concept_id",
    "unit_source_value",
    "range_low",
    "range_high",
    "operator_concept_id",
    "stop_reason",
    "quantity",
    "sig",
    "route_concept_id",
    "route_source_value",
    "dose_unit_source_value",
    "days_supply",
    "refills",
    "verbatim_end_date",
    "event_row",
    "event_field_concept_id",
)
E = {name: i for i, name in enumerate(EVENT_COLUMNS)}
ROW_INDEX, TARGET, CONCEPT_ID, SOURCE_CONCEPT_ID, SOURCE_VALUE = range(5)
START_DATE, START_DATETIME, END_DATE, END_DATETIME, TYPE_CONCEPT_ID = range(5, 10)
VALUE_AS_NUMBER, VALUE_AS_CONCEPT_ID, VALUE_AS_STRING, VALUE_SOURCE_VALUE = range(10, 14)
UNIT_CONCEPT_ID, UNIT_SOURCE_VALUE, RANGE_LOW, RANGE_HIGH, OPERATOR_CONCEPT_ID = range(14, 19)
STOP_REASON, QUANTITY, SIG, ROUTE_CONCEPT_ID, ROUTE_SOURCE_VALUE = range(19, 24)
DOSE_UNIT_SOURCE_VALUE, DAYS_SUPPLY, REFILLS, VERBATIM_END_DATE = range(24, 28)
EVENT_ROW, EVENT_FIELD_CONCEPT_ID = range(28, 30)
N_EVENT = len(EVENT_COLUMNS)

PERSON_COLUMNS = (
    "gender_concept_id",
    "gender_source_value",
    "year_of_birth",
    "month_of_birth",
    "day_of_birth",
    "birth_datetime",
    "race_concept_id",
    "race_source_value",
    "ethnicity_concept_id",
    "ethnicity_source_value",
    "death_date",
    "death_datetime",
    "death_type_concept_id",
)
MEDICATION_COLUMNS = ("concept_id", "source_concept_id", "source_value")

# A resource's own staging row (the writer adds occ, file, line, hash).
RESOURCE_COLUMNS = (
    "resource_type",
    "fhir_id",
    "last_updated",
    "action",
    "reason",
    "person_ref",
    "visit_ref",
    "medication_ref",
)

OMOP_TABLES = (
    "measurement",
    "observation",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "visit_occurrence",
)


# A resource's OMOP row ids are its key * 1000 + the row index: at most 1000 rows (0..999).
MAX_ROWS = 1000


def new_event(target: str, row_index: int) -> list[Any]:
    row: list[Any] = [None] * N_EVENT
    row[ROW_INDEX] = row_index
    row[TARGET] = target
    return row
