-- The cohorts an analysis may run on: every included person ('all'), or one histology group as
-- the single-site report's --histology (DTC, MTC, ATC). Nothing else: there is no free filter.
-- A subgroup is one more cohort to the differencing rule (guard): its answer is compared with
-- the same question's answer on the whole cohort, so a site refuses a group whose complement
-- has fewer than min_patients patients.
CREATE OR REPLACE FUNCTION @federated.check_cohort(cohort TEXT) RETURNS VOID
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cohort IS NULL OR cohort NOT IN ('all', 'DTC', 'MTC', 'ATC') THEN
        RAISE EXCEPTION 'rwe-federated: unknown cohort % (all, DTC, MTC or ATC)', cohort
            USING ERRCODE = '22023';
    END IF;
END
$$;
