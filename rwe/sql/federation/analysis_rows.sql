-- The rows one survival analysis runs on (internal: never granted to the federated role):
-- time and event of the endpoint, the group level and the covariate vector; complete cases.
CREATE OR REPLACE FUNCTION @federated.analysis_rows(
    endpoint TEXT, group_variable TEXT, covariates TEXT[]
) RETURNS TABLE (person_id BIGINT, days INTEGER, event INTEGER, grp TEXT, x DOUBLE PRECISION[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF endpoint IS NULL OR endpoint NOT IN ('ttf', 'pfs', 'os') THEN
        RAISE EXCEPTION 'rwe-federated: unknown endpoint %', endpoint USING ERRCODE = '22023';
    END IF;
    IF @federated.variable_levels(group_variable) IS NULL THEN
        RAISE EXCEPTION 'rwe-federated: unknown group_variable %', group_variable USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(covariates) c
               WHERE c IS NULL OR c NOT IN ('alc_high', 'nlr_high', 'plr_high', 'lmr_high',
                                            'male', 'age')) THEN
        RAISE EXCEPTION 'rwe-federated: unknown covariate in %', covariates USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH v AS (
        SELECT s.person_id,
               CASE endpoint WHEN 'ttf' THEN s.ttf_days WHEN 'pfs' THEN s.pfs_days
                             ELSE s.os_days END AS t,
               CASE endpoint WHEN 'ttf' THEN s.ttf_event WHEN 'pfs' THEN s.pfs_event
                             ELSE s.os_event END AS e,
               @federated.variable_value(group_variable, s.alc, s.nlr, s.plr, s.lmr, s.sex,
                                         s.histology, s.orr, s.dcr, s.cbr) AS g,
               ARRAY(SELECT @federated.covariate_value(c.name, s.alc, s.nlr, s.plr, s.lmr,
                                                       s.age, s.sex)
                     FROM unnest(covariates) WITH ORDINALITY AS c (name, k)
                     ORDER BY c.k) AS xv
        FROM @federated.study_row() s
    )
    SELECT v.person_id, v.t, v.e, v.g, v.xv
    FROM v
    WHERE v.t IS NOT NULL AND v.e IS NOT NULL AND v.g IS NOT NULL
      AND array_position(v.xv, NULL) IS NULL;
END
$$;
