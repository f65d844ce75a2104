-- Feasibility counts: released per site with small-cell suppression (NULL when 1..min_cell-1),
-- and masked unsuppressed for the pooled total (which the coordinator suppresses in turn).
CREATE OR REPLACE FUNCTION @federated.feasibility(query_id TEXT, participants TEXT[])
RETURNS TABLE (measure TEXT, site_value BIGINT, masked_value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    min_cell INTEGER := @federated.setting_value('min_cell');
    labels TEXT[];
    vals NUMERIC[];
    fp TEXT;
    n INTEGER;
BEGIN
    WITH s AS (SELECT * FROM @federated.study_row()),
    m AS (
        SELECT 'persons' AS lab, count(*) AS v FROM s
        UNION ALL SELECT 'baseline_labs_complete', count(*) FILTER (WHERE s.labs_complete) FROM s
        UNION ALL SELECT 'ttf_events', coalesce(sum(s.ttf_event), 0) FROM s
        UNION ALL SELECT 'pfs_events', coalesce(sum(s.pfs_event), 0) FROM s
        UNION ALL SELECT 'os_events', coalesce(sum(s.os_event), 0) FROM s
        UNION ALL SELECT 'histology_' || h, count(*) FILTER (WHERE s.histology = h)
                  FROM s, unnest(ARRAY['DTC', 'MTC', 'ATC']) h GROUP BY h
        UNION ALL SELECT 'response_assessed', count(*) FILTER (WHERE s.orr IS NOT NULL) FROM s
    )
    SELECT array_agg(m.lab ORDER BY m.lab), array_agg(m.v::NUMERIC ORDER BY m.lab)
    INTO labels, vals FROM m;
    SELECT count(*), coalesce(md5(string_agg(s.person_id::TEXT, ',' ORDER BY s.person_id)), '')
    INTO n, fp FROM @federated.study_row() s;
    PERFORM @federated.guard(query_id, 'feasibility', 'v1', participants, FALSE, n, NULL,
                             '{}', fp);
    RETURN QUERY
    SELECT u.l, CASE WHEN u.v > 0 AND u.v < min_cell THEN NULL ELSE u.v::BIGINT END, r.value
    FROM unnest(labels, vals) AS u (l, v)
    JOIN @federated.mask_release(query_id, participants, labels, vals) r ON r.label = u.l;
END
$$;
