-- Contingency table of two group_variable variables over their fixed levels (complete cases),
-- masked; the coordinator tests the pooled table and suppresses small cells in the report.
CREATE OR REPLACE FUNCTION @federated.fisher_counts(
    query_id TEXT, participants TEXT[], row_variable TEXT, column_variable TEXT
) RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n INTEGER;
    row_counts BIGINT[];
    fp TEXT;
    labels TEXT[];
    vals NUMERIC[];
BEGIN
    IF @federated.variable_levels(row_variable) IS NULL
       OR @federated.variable_levels(column_variable) IS NULL THEN
        RAISE EXCEPTION 'rwe-federated: unknown variable % or %', row_variable, column_variable
            USING ERRCODE = '22023';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS fisher_row (person_id BIGINT, a TEXT, b TEXT)
        ON COMMIT DROP;
    TRUNCATE fisher_row;
    INSERT INTO fisher_row
    SELECT * FROM (
        SELECT s.person_id,
               @federated.variable_value(row_variable, s.alc, s.nlr, s.plr, s.lmr, s.sex,
                                         s.histology, s.orr, s.dcr, s.cbr) AS a,
               @federated.variable_value(column_variable, s.alc, s.nlr, s.plr, s.lmr, s.sex,
                                         s.histology, s.orr, s.dcr, s.cbr) AS b
        FROM @federated.study_row() s
    ) v WHERE v.a IS NOT NULL AND v.b IS NOT NULL;
    SELECT count(*), coalesce(md5(string_agg(f.person_id::TEXT, ',' ORDER BY f.person_id)), ''),
           ARRAY(SELECT (SELECT count(*) FROM fisher_row f2 WHERE f2.a = l.level)
                 FROM unnest(@federated.variable_levels(row_variable)) WITH ORDINALITY
                      AS l (level, k) ORDER BY l.k)
    INTO n, fp, row_counts
    FROM fisher_row f;
    -- The group-level rule applies to the group_variable (row) variable; outcome cells may be small.
    PERFORM @federated.guard(query_id, 'fisher_counts',
                             concat_ws('|', row_variable, column_variable), participants, TRUE,
                             n, NULL, row_counts, fp);
    SELECT array_agg('cell|' || ra.level || '|' || cb.level ORDER BY ra.k, cb.k),
           array_agg((SELECT count(*) FROM fisher_row f
                      WHERE f.a = ra.level AND f.b = cb.level)::NUMERIC ORDER BY ra.k, cb.k)
    INTO labels, vals
    FROM unnest(@federated.variable_levels(row_variable)) WITH ORDINALITY AS ra (level, k)
    CROSS JOIN unnest(@federated.variable_levels(column_variable)) WITH ORDINALITY AS cb (level, k);
    RETURN QUERY SELECT * FROM @federated.mask_release(query_id, participants, labels, vals);
END
$$;
