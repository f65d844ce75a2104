-- Size, events, per-level counts and a fingerprint of the rows of one analysis (internal).
CREATE OR REPLACE FUNCTION @federated.cohort_summary(
    endpoint TEXT, group_variable TEXT, covariates TEXT[],
    OUT n_patients INTEGER, OUT n_events INTEGER, OUT level_counts BIGINT[],
    OUT fingerprint TEXT, OUT max_time INTEGER
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS (SELECT * FROM @federated.analysis_rows(endpoint, group_variable, covariates))
    SELECT (SELECT count(*)::INTEGER FROM r),
           (SELECT coalesce(sum(r.event), 0)::INTEGER FROM r),
           ARRAY(SELECT (SELECT count(*) FROM r WHERE r.grp = l.level)
                 FROM unnest(@federated.variable_levels(group_variable)) WITH ORDINALITY
                      AS l (level, k)
                 ORDER BY l.k),
           (SELECT coalesce(md5(string_agg(r.person_id::TEXT, ',' ORDER BY r.person_id)), '')
            FROM r),
           (SELECT max(r.days) FROM r)
$$;
