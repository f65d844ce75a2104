-- Per-day event and leaving (event or censoring) counts on the public day grid 0..max_day, per
-- group level: the sufficient statistics of Kaplan-Meier, log-rank and reverse KM. Masked; not
-- suppressed (suppressing intermediate sums would make every pooled median NA).
CREATE OR REPLACE FUNCTION @federated.day_counts(
    query_id TEXT, participants TEXT[], endpoint TEXT, group_variable TEXT, max_day INTEGER
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
    IF max_day IS NULL OR max_day < 1 OR max_day > 36525 OR s.max_time > max_day THEN
        RAISE EXCEPTION 'rwe-federated: refused: times beyond the agreed maximum day %', max_day;
    END IF;
    PERFORM @federated.guard(query_id, 'day_counts', concat_ws('|', endpoint, group_variable),
                             participants, TRUE, s.n_patients, s.n_events, s.level_counts,
                             s.fingerprint);
    WITH r AS (SELECT * FROM @federated.analysis_rows(endpoint, group_variable, '{}')),
    agg AS (
        SELECT r.grp, r.days, count(*) FILTER (WHERE r.event = 1) AS n_event, count(*) AS n_exit
        FROM r GROUP BY r.grp, r.days
    ),
    cells AS (
        SELECT l.k, l.level, d.day,
               coalesce(a.n_event, 0) AS n_event, coalesce(a.n_exit, 0) AS n_exit
        FROM unnest(@federated.variable_levels(group_variable)) WITH ORDINALITY AS l (level, k)
        CROSS JOIN generate_series(0, max_day) AS d (day)
        LEFT JOIN agg a ON a.grp = l.level AND a.days = d.day
    )
    SELECT array_agg(kind || '|' || c.level || '|' || c.day ORDER BY kind, c.k, c.day),
           array_agg(CASE kind WHEN 'event' THEN c.n_event ELSE c.n_exit END::NUMERIC
                     ORDER BY kind, c.k, c.day)
    INTO labels, vals
    FROM cells c CROSS JOIN unnest(ARRAY['event', 'exit']) AS kind;
    RETURN QUERY SELECT * FROM @federated.mask_release(query_id, participants, labels, vals);
END
$$;
