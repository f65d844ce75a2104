-- One trigger per table for UPDATE instead of two: a rewritten row's person is marked once,
-- from the old and the new rows together (PostgreSQL captures both transition tables for an
-- UPDATE either way). The two triggers of 0010 each inserted every updated row's person into
-- derive_dirty_person (0.18-0.21 s each for a 100,000-row MEASUREMENT update at 10 M).
CREATE OR REPLACE FUNCTION @rwe.derive_mark_changed_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO @rwe.derive_dirty_person (person_id)
    SELECT person_id FROM derive_old_rows
    UNION
    SELECT person_id FROM derive_new_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['person', 'death', 'drug_exposure', 'condition_occurrence',
                             'measurement', 'observation', 'observation_period']
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS derive_mark_update_new ON @cdm.%I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS derive_mark_update_old ON @cdm.%I', t);
        EXECUTE format('CREATE TRIGGER derive_mark_update AFTER UPDATE ON @cdm.%I '
                       'REFERENCING OLD TABLE AS derive_old_rows NEW TABLE AS derive_new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION @rwe.derive_mark_changed_rows()', t);
    END LOOP;
END
$$;
