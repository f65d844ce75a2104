-- This site's log-rank observed, expected and (co)variance per group level (survdiff's sums
-- within one stratum): summed over sites they give the log-rank test stratified by site.
CREATE OR REPLACE FUNCTION @federated.log_rank_sums(
    query_id TEXT, participants TEXT[], endpoint TEXT, group_variable TEXT
) RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s RECORD;
    labels TEXT[];
    vals NUMERIC[];
BEGIN
    s := @federated.cohort_summary(endpoint, group_variable, '{}');
    PERFORM @federated.guard(query_id, 'log_rank_sums', concat_ws('|', endpoint, group_variable),
                             participants, TRUE, s.n_patients, s.n_events, s.level_counts,
                             s.fingerprint);
    WITH r AS (SELECT * FROM @federated.analysis_rows(endpoint, group_variable, '{}')),
    lv AS (SELECT l.level, l.k FROM unnest(@federated.variable_levels(group_variable))
                                    WITH ORDINALITY AS l (level, k)),
    t AS (SELECT DISTINCT r.days FROM r WHERE r.event = 1),
    tg AS (
        SELECT t.days, lv.k,
               (SELECT count(*) FROM r WHERE r.grp = lv.level AND r.days >= t.days)::FLOAT8 AS n_g,
               (SELECT count(*) FROM r WHERE r.grp = lv.level AND r.days = t.days
                                         AND r.event = 1)::FLOAT8 AS d_g
        FROM t CROSS JOIN lv
    ),
    tt AS (SELECT tg.days, sum(tg.n_g) AS n, sum(tg.d_g) AS d FROM tg GROUP BY tg.days),
    tf AS (SELECT tt.*, CASE WHEN tt.n > 1 THEN tt.d * (tt.n - tt.d) / (tt.n - 1) ELSE 0 END AS f
           FROM tt),
    sums AS (
        SELECT 'observed|' || lv.k AS lab,
               (SELECT count(*) FROM r WHERE r.grp = lv.level AND r.event = 1)::FLOAT8 AS v
        FROM lv
        UNION ALL
        SELECT 'expected|' || lv.k,
               coalesce((SELECT sum(tf.d * tg.n_g / tf.n) FROM tf JOIN tg USING (days)
                         WHERE tg.k = lv.k), 0)
        FROM lv
        UNION ALL
        SELECT 'variance|' || a.k || '|' || b.k,
               coalesce((SELECT sum(tf.f * (CASE WHEN a.k = b.k THEN ga.n_g / tf.n ELSE 0 END
                                            - ga.n_g * gb.n_g / (tf.n * tf.n)))
                         FROM tf JOIN tg ga ON ga.days = tf.days AND ga.k = a.k
                                 JOIN tg gb ON gb.days = tf.days AND gb.k = b.k), 0)
        FROM lv a CROSS JOIN lv b
    )
    SELECT array_agg(sums.lab ORDER BY sums.lab), array_agg(sums.v::NUMERIC ORDER BY sums.lab)
    INTO labels, vals
    FROM sums;
    RETURN QUERY SELECT * FROM @federated.mask_release(query_id, participants, labels, vals);
END
$$;
