-- rwe's own bookkeeping, outside the OMOP schema (§f2o-023, §f2o-024): run log, rejects,
-- vocabulary releases. Id maps FHIR Type/id <-> OMOP ids come with the ETL migrations.
CREATE TABLE IF NOT EXISTS @rwe.run (
    run_id BIGSERIAL PRIMARY KEY,
    command TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'gate_failed')),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    rwe_version TEXT NOT NULL,
    cdm_version TEXT NOT NULL,
    vocabulary_version TEXT,
    inputs JSONB NOT NULL DEFAULT '[]'::jsonb,
    report JSONB NOT NULL DEFAULT '{}'::jsonb,
    message TEXT
);

CREATE TABLE IF NOT EXISTS @rwe.reject (
    run_id BIGINT NOT NULL REFERENCES @rwe.run (run_id) ON DELETE CASCADE,
    source_file TEXT NOT NULL,
    line BIGINT,
    resource_type TEXT,
    resource_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS idx_reject_run ON @rwe.reject (run_id);

CREATE TABLE IF NOT EXISTS @rwe.vocabulary_release (
    release_id SERIAL PRIMARY KEY,
    vocabulary_version TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    concept_count BIGINT NOT NULL,
    relationship_count BIGINT NOT NULL,
    is_seed BOOLEAN NOT NULL
);
