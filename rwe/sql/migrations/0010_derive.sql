-- Support for `rwe derive` (rwe/derive): the per-person index of the baseline blood-count
-- lookup, era id sequences, the derive state and change tracking for incremental refresh.

-- Baseline markers look up one person's blood counts in [index - window, index]: this index
-- turns that into an index range scan per person (never a scan of MEASUREMENT per person).
CREATE INDEX IF NOT EXISTS idx_measurement_person_concept_date
    ON @cdm.measurement (person_id, measurement_concept_id, measurement_date);

CREATE SEQUENCE IF NOT EXISTS @rwe.drug_era_id_seq;
CREATE SEQUENCE IF NOT EXISTS @rwe.condition_era_id_seq;

-- One row per derived scope ('cdm' eras, 'study' tables): what the last derive used.
-- A refresh whose fingerprint differs (options, cutoff, concept sets, vocabulary) rebuilds
-- that scope in full.
CREATE TABLE IF NOT EXISTS @rwe.derive_state (
    scope TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    parameters JSONB NOT NULL,
    built_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    mode TEXT NOT NULL CHECK (mode IN ('full', 'refresh'))
);

-- Persons whose CDM rows changed since the last derive, filled by the triggers below so that
-- any writer (the ETL's COPY, a manual fix) is seen. A refresh derives exactly these persons.
CREATE TABLE IF NOT EXISTS @rwe.derive_dirty_person (
    person_id BIGINT PRIMARY KEY
);

-- A TRUNCATE of a source table loses the person ids: the next refresh must be a full one.
CREATE TABLE IF NOT EXISTS @rwe.derive_full_required (
    table_name TEXT PRIMARY KEY,
    marked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION @rwe.derive_mark_new_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO @rwe.derive_dirty_person (person_id)
    SELECT DISTINCT person_id FROM derive_new_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @rwe.derive_mark_old_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO @rwe.derive_dirty_person (person_id)
    SELECT DISTINCT person_id FROM derive_old_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @rwe.derive_mark_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO @rwe.derive_full_required (table_name) VALUES (TG_TABLE_NAME)
    ON CONFLICT (table_name) DO UPDATE SET marked_at = now();
    RETURN NULL;
END
$$;

-- Statement-level triggers with transition tables: one INSERT per statement, however many rows
-- (PostgreSQL allows one event per trigger when transition tables are used).
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['person', 'death', 'drug_exposure', 'condition_occurrence',
                             'measurement', 'observation', 'observation_period']
    LOOP
        EXECUTE format('CREATE TRIGGER derive_mark_insert AFTER INSERT ON @cdm.%I '
                       'REFERENCING NEW TABLE AS derive_new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION @rwe.derive_mark_new_rows()', t);
        EXECUTE format('CREATE TRIGGER derive_mark_update_new AFTER UPDATE ON @cdm.%I '
                       'REFERENCING NEW TABLE AS derive_new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION @rwe.derive_mark_new_rows()', t);
        EXECUTE format('CREATE TRIGGER derive_mark_update_old AFTER UPDATE ON @cdm.%I '
                       'REFERENCING OLD TABLE AS derive_old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION @rwe.derive_mark_old_rows()', t);
        EXECUTE format('CREATE TRIGGER derive_mark_delete AFTER DELETE ON @cdm.%I '
                       'REFERENCING OLD TABLE AS derive_old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION @rwe.derive_mark_old_rows()', t);
        EXECUTE format('CREATE TRIGGER derive_mark_truncate AFTER TRUNCATE ON @cdm.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION @rwe.derive_mark_truncate()', t);
    END LOOP;
END
$$;
