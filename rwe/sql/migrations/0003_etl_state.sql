-- ETL bookkeeping outside the OMOP schema (§f2o-023, §f2o-024): the id map FHIR Type/id <->
-- OMOP ids with each resource's load state, Medications resolved by reference, and the
-- incremental cursor of each FHIR server source.
--
-- OMOP ids are derived from resource_key: the rows of one resource get ids
-- resource_key * 1000 + row_index (row 0 is the resource's main row; PERSON and
-- VISIT_OCCURRENCE ids are their resource's row 0), so they are stable across runs.
CREATE SEQUENCE IF NOT EXISTS @rwe.resource_key_seq START 1;

CREATE TABLE IF NOT EXISTS @rwe.fhir_resource (
    resource_key BIGINT PRIMARY KEY DEFAULT nextval('@rwe.resource_key_seq'),
    resource_type TEXT NOT NULL,
    fhir_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('loaded', 'excluded', 'deleted')),
    last_updated TIMESTAMPTZ,
    content_hash BIGINT,
    person_id BIGINT,
    run_id BIGINT NOT NULL,
    UNIQUE (resource_type, fhir_id)
);
CREATE INDEX IF NOT EXISTS idx_fhir_resource_person ON @rwe.fhir_resource (person_id);

CREATE TABLE IF NOT EXISTS @rwe.medication (
    resource_key BIGINT PRIMARY KEY REFERENCES @rwe.fhir_resource (resource_key),
    concept_id INTEGER NOT NULL,
    source_concept_id INTEGER NOT NULL,
    source_value VARCHAR(50)
);

CREATE TABLE IF NOT EXISTS @rwe.source_cursor (
    source TEXT PRIMARY KEY,
    since TIMESTAMPTZ NOT NULL,
    run_id BIGINT NOT NULL
);
