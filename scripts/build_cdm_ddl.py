"""Generate rwe/sql/migrations/0001_cdm54.sql from the OMOP CDM v5.4 field-level definitions.

Run by hand: `python scripts/build_cdm_ddl.py` (reads ../shared/vocab/cdm54_field_level.csv).
The output is committed; migrations never change once released.

Deviations from OHDSI's PostgreSQL DDL, on purpose:
- person and event keys (`person_id`, `*_occurrence_id`, `measurement_id`, ...) are BIGINT:
  rwe derives stable ids from FHIR resource keys and a hospital has more than 2^31 events;
- `float` columns are DOUBLE PRECISION, not NUMERIC: loading float8 is several times cheaper
  (COPY of NUMERIC needs Decimal values) and every value rwe stores is a measured float.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "vocab" / "cdm54_field_level.csv"
TARGET = ROOT / "rwe" / "sql" / "migrations" / "0001_cdm54.sql"

BIGINT_FIELDS = {
    "person_id",
    "observation_period_id",
    "visit_occurrence_id",
    "visit_detail_id",
    "preceding_visit_occurrence_id",
    "preceding_visit_detail_id",
    "parent_visit_detail_id",
    "condition_occurrence_id",
    "drug_exposure_id",
    "procedure_occurrence_id",
    "device_exposure_id",
    "measurement_id",
    "observation_id",
    "note_id",
    "note_nlp_id",
    "specimen_id",
    "measurement_event_id",
    "observation_event_id",
    "episode_id",
    "episode_parent_id",
    "event_id",
    "cost_event_id",
    "cost_id",
    "payer_plan_period_id",
    "drug_era_id",
    "dose_era_id",
    "condition_era_id",
    "fact_id_1",
    "fact_id_2",
    "subject_id",
}

# OHDSI's CDM v5.4 PostgreSQL indices (OMOPCDM_postgresql_5.4_indices.sql), minus those that
# duplicate a primary key.
INDEXES: list[tuple[str, str, str]] = [
    ("idx_gender", "person", "gender_concept_id"),
    ("idx_observation_period_id_1", "observation_period", "person_id"),
    ("idx_visit_person_id_1", "visit_occurrence", "person_id"),
    ("idx_visit_concept_id_1", "visit_occurrence", "visit_concept_id"),
    ("idx_visit_det_person_id_1", "visit_detail", "person_id"),
    ("idx_visit_det_concept_id_1", "visit_detail", "visit_detail_concept_id"),
    ("idx_visit_det_occ_id", "visit_detail", "visit_occurrence_id"),
    ("idx_condition_person_id_1", "condition_occurrence", "person_id"),
    ("idx_condition_concept_id_1", "condition_occurrence", "condition_concept_id"),
    ("idx_condition_visit_id_1", "condition_occurrence", "visit_occurrence_id"),
    ("idx_drug_person_id_1", "drug_exposure", "person_id"),
    ("idx_drug_concept_id_1", "drug_exposure", "drug_concept_id"),
    ("idx_drug_visit_id_1", "drug_exposure", "visit_occurrence_id"),
    ("idx_procedure_person_id_1", "procedure_occurrence", "person_id"),
    ("idx_procedure_concept_id_1", "procedure_occurrence", "procedure_concept_id"),
    ("idx_procedure_visit_id_1", "procedure_occurrence", "visit_occurrence_id"),
    ("idx_device_person_id_1", "device_exposure", "person_id"),
    ("idx_device_concept_id_1", "device_exposure", "device_concept_id"),
    ("idx_device_visit_id_1", "device_exposure", "visit_occurrence_id"),
    ("idx_measurement_person_id_1", "measurement", "person_id"),
    ("idx_measurement_concept_id_1", "measurement", "measurement_concept_id"),
    ("idx_measurement_visit_id_1", "measurement", "visit_occurrence_id"),
    ("idx_observation_person_id_1", "observation", "person_id"),
    ("idx_observation_concept_id_1", "observation", "observation_concept_id"),
    ("idx_observation_visit_id_1", "observation", "visit_occurrence_id"),
    ("idx_death_person_id_1", "death", "person_id"),
    ("idx_note_person_id_1", "note", "person_id"),
    ("idx_note_concept_id_1", "note", "note_type_concept_id"),
    ("idx_note_visit_id_1", "note", "visit_occurrence_id"),
    ("idx_note_nlp_note_id_1", "note_nlp", "note_id"),
    ("idx_note_nlp_concept_id_1", "note_nlp", "note_nlp_concept_id"),
    ("idx_specimen_person_id_1", "specimen", "person_id"),
    ("idx_specimen_concept_id_1", "specimen", "specimen_concept_id"),
    ("idx_fact_relationship_id1", "fact_relationship", "domain_concept_id_1"),
    ("idx_fact_relationship_id2", "fact_relationship", "domain_concept_id_2"),
    ("idx_fact_relationship_id3", "fact_relationship", "relationship_concept_id"),
    ("idx_period_person_id_1", "payer_plan_period", "person_id"),
    ("idx_cost_event_id", "cost", "cost_event_id"),
    ("idx_drug_era_person_id_1", "drug_era", "person_id"),
    ("idx_drug_era_concept_id_1", "drug_era", "drug_concept_id"),
    ("idx_dose_era_person_id_1", "dose_era", "person_id"),
    ("idx_dose_era_concept_id_1", "dose_era", "drug_concept_id"),
    ("idx_condition_era_person_id_1", "condition_era", "person_id"),
    ("idx_condition_era_concept_id_1", "condition_era", "condition_concept_id"),
    ("idx_metadata_concept_id_1", "metadata", "metadata_concept_id"),
    ("idx_concept_code", "concept", "concept_code"),
    ("idx_concept_vocabluary_id", "concept", "vocabulary_id"),
    ("idx_concept_domain_id", "concept", "domain_id"),
    ("idx_concept_class_id", "concept", "concept_class_id"),
    ("idx_concept_relationship_id_1", "concept_relationship", "concept_id_1"),
    ("idx_concept_relationship_id_2", "concept_relationship", "concept_id_2"),
    ("idx_concept_relationship_id_3", "concept_relationship", "relationship_id"),
    ("idx_concept_synonym_id", "concept_synonym", "concept_id"),
    ("idx_concept_ancestor_id_1", "concept_ancestor", "ancestor_concept_id"),
    ("idx_concept_ancestor_id_2", "concept_ancestor", "descendant_concept_id"),
    ("idx_source_to_concept_map_3", "source_to_concept_map", "target_concept_id"),
    ("idx_source_to_concept_map_1", "source_to_concept_map", "source_vocabulary_id"),
    ("idx_source_to_concept_map_2", "source_to_concept_map", "target_vocabulary_id"),
    ("idx_source_to_concept_map_c", "source_to_concept_map", "source_code"),
    ("idx_drug_strength_id_1", "drug_strength", "drug_concept_id"),
    ("idx_drug_strength_id_2", "drug_strength", "ingredient_concept_id"),
]

# Vocabulary tables without a single-column key get OHDSI's composite primary keys.
COMPOSITE_KEYS = {
    "concept_relationship": "concept_id_1, concept_id_2, relationship_id",
    "concept_ancestor": "ancestor_concept_id, descendant_concept_id",
    "drug_strength": "drug_concept_id, ingredient_concept_id",
    "source_to_concept_map": "source_vocabulary_id, target_concept_id, source_code, valid_end_date",
}


def sql_type(field: str, datatype: str) -> str:
    datatype = datatype.lower()
    if datatype == "integer":
        return "BIGINT" if field in BIGINT_FIELDS else "INTEGER"
    if datatype == "float":
        return "DOUBLE PRECISION"
    if datatype == "datetime":
        return "TIMESTAMP"
    if datatype == "date":
        return "DATE"
    if datatype == "varchar(max)":
        return "TEXT"
    if datatype.startswith("varchar("):
        return datatype.upper()
    raise ValueError(f"unknown CDM datatype {datatype!r} for {field}")


def main() -> int:
    if not SOURCE.is_file():
        print(f"{SOURCE} not found: this script needs ../shared beside the repository")
        return 1
    tables: dict[str, list[dict[str, str]]] = defaultdict(list)
    with SOURCE.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            tables[row["cdmTableName"].lower()].append(row)
    out = [
        "-- OMOP CDM v5.4 tables, primary keys and OHDSI indexes in schema @cdm.",
        "-- Generated by scripts/build_cdm_ddl.py from the CDM field-level definitions;",
        "-- do not edit.",
        "CREATE SCHEMA IF NOT EXISTS @cdm;",
        "",
    ]
    for table, fields in tables.items():
        cols = []
        for f in fields:
            name = f["cdmFieldName"].lower()
            null = " NOT NULL" if f["isRequired"].lower() == "yes" else ""
            cols.append(f"    {name} {sql_type(name, f['cdmDatatype'])}{null}")
        pk = [f["cdmFieldName"].lower() for f in fields if f["isPrimaryKey"].lower() == "yes"]
        if pk:
            cols.append(f"    CONSTRAINT xpk_{table} PRIMARY KEY ({', '.join(pk)})")
        elif table in COMPOSITE_KEYS:
            cols.append(f"    CONSTRAINT xpk_{table} PRIMARY KEY ({COMPOSITE_KEYS[table]})")
        out.append(f"CREATE TABLE @cdm.{table} (\n" + ",\n".join(cols) + "\n);")
    out.append("")
    for name, table, column in INDEXES:
        out.append(f"CREATE INDEX {name} ON @cdm.{table} ({column});")
    TARGET.write_text("\n".join(out) + "\n")
    print(f"wrote {len(tables)} tables to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
