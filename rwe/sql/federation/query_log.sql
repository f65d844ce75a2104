-- Every answered query: to budget repeated calls and refuse differencing (same question on a
-- slightly changed cohort, or for a different set of participating sites).
CREATE TABLE IF NOT EXISTS @federated.query_log (
    query_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    n_patients INTEGER NOT NULL,
    participants TEXT[] NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS query_log_spec ON @federated.query_log (kind, spec_hash);
CREATE INDEX IF NOT EXISTS query_log_run ON @federated.query_log (run_id);
