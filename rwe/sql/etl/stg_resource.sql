-- One row per resource occurrence read in this run (occ numbers them in reading order).
-- action: loaded (has rows), excluded (not realized, §f2o-060) or deleted.
CREATE TEMP TABLE stg_resource (
    occ BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    fhir_id TEXT NOT NULL,
    last_updated TIMESTAMPTZ,
    action TEXT NOT NULL,
    reason TEXT,
    person_ref TEXT,
    visit_ref TEXT,
    medication_ref TEXT,
    content_hash BIGINT,
    row_count INTEGER,  -- OMOP event rows of a loaded occurrence (ids key * 1000 + row_index)
    file_no INTEGER NOT NULL,
    line BIGINT
) ON COMMIT DROP;
