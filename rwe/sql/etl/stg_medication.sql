-- The drug concept of each Medication occurrence (for medicationReference).
CREATE TEMP TABLE stg_medication (
    occ BIGINT NOT NULL,
    concept_id INTEGER NOT NULL,
    source_concept_id INTEGER NOT NULL,
    source_value TEXT
) ON COMMIT DROP;
