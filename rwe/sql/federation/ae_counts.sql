-- Table III: included patients with each adverse event, at any grade and at grade 3 or more
-- (maximum CTCAE grade), over the fixed terms, and with any of them; masked. The coordinator
-- pools, computes the percentages and suppresses small counts in the report.
CREATE OR REPLACE FUNCTION @federated.ae_counts(query_id TEXT, participants TEXT[])
RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n INTEGER;
    fp TEXT;
    labels TEXT[];
    vals NUMERIC[];
BEGIN
    SELECT count(*)::INTEGER,
           coalesce(md5(string_agg(s.person_id::TEXT, ',' ORDER BY s.person_id)), '')
    INTO n, fp
    FROM @federated.study_row() s;
    -- No group variable: the size rule applies to the patients the percentages are of.
    PERFORM @federated.guard(query_id, 'ae_counts', 'table3', participants, TRUE, n, NULL,
                             '{}', fp);
    WITH ae AS (SELECT * FROM @federated.adverse_event_row()),
    cells AS (
        SELECT 0 AS k, 'patients|all' AS label, n::NUMERIC AS value
        UNION ALL
        SELECT 1, 'any|all', (SELECT count(DISTINCT a.person_id) FROM ae a)
        UNION ALL
        SELECT 2, 'any|severe',
               (SELECT count(DISTINCT a.person_id) FROM ae a WHERE a.max_grade >= 3)
        UNION ALL
        SELECT 2 + 2 * (t.k - 1) + g.j, g.kind || '|' || t.term,
               (SELECT count(DISTINCT a.person_id) FROM ae a
                WHERE a.term = t.term AND (g.kind = 'all' OR a.max_grade >= 3))
        FROM unnest(@federated.ae_terms()) WITH ORDINALITY AS t (term, k)
        CROSS JOIN (VALUES (1, 'all'), (2, 'severe')) AS g (j, kind)
    )
    SELECT array_agg(c.label ORDER BY c.k), array_agg(c.value ORDER BY c.k)
    INTO labels, vals
    FROM cells c;
    RETURN QUERY SELECT * FROM @federated.mask_release(query_id, participants, labels, vals);
END
$$;
