-- Resources rejected while reading or transforming (reference rejects come from `winner`).
CREATE TEMP TABLE stg_reject (
    file_no INTEGER NOT NULL,
    line BIGINT,
    resource_type TEXT,
    resource_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT
) ON COMMIT DROP;
