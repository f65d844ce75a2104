-- Data-quality gates (issue #6): one row per gate run, one row per check per gate run, and the
-- metrics the nightly regression compares against the previous gate run.
CREATE TABLE IF NOT EXISTS @rwe.quality_gate_run (
    gate_run_id BIGSERIAL PRIMARY KEY,
    run_id BIGINT REFERENCES @rwe.run (run_id) ON DELETE SET NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    -- passed: no fatal check failed; failed: a fatal check failed or errored
    status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'failed')),
    checks_total INTEGER NOT NULL DEFAULT 0,
    fatal_failed INTEGER NOT NULL DEFAULT 0,
    warn_failed INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    catalogue_sha256 TEXT NOT NULL,
    rwe_version TEXT NOT NULL,
    duration_seconds DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS idx_quality_gate_run_finished
    ON @rwe.quality_gate_run (finished_at DESC);

-- Column names follow DQD's result table where they exist (num_violated_rows, pct_violated_rows,
-- num_denominator_rows, threshold_value, not_applicable_reason).
CREATE TABLE IF NOT EXISTS @rwe.quality_result (
    gate_run_id BIGINT NOT NULL REFERENCES @rwe.quality_gate_run (gate_run_id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    check_name TEXT NOT NULL,
    category TEXT NOT NULL,
    cdm_table_name TEXT NOT NULL,
    cdm_field_name TEXT,
    concept_id BIGINT,
    severity TEXT NOT NULL CHECK (severity IN ('fatal', 'warn')),
    threshold_value DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('Passed', 'Failed', 'Not applicable', 'Error')),
    num_violated_rows BIGINT,
    num_denominator_rows BIGINT,
    pct_violated_rows DOUBLE PRECISION,
    not_applicable_reason TEXT,
    error TEXT,
    description TEXT NOT NULL,
    PRIMARY KEY (gate_run_id, check_id)
);

CREATE TABLE IF NOT EXISTS @rwe.quality_metric (
    gate_run_id BIGINT NOT NULL REFERENCES @rwe.quality_gate_run (gate_run_id) ON DELETE CASCADE,
    metric_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (gate_run_id, metric_id)
);
