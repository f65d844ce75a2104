-- Unstratified Cox, WebDISCO style (Lu et al., JAMIA 2015): at each time of the pooled
-- event-time grid, this site's risk-set sums S0, S1, S2 of exp(x·beta) (subjects with
-- time >= t) and the same sums over the deaths at t (for Efron's tied-death correction),
-- deaths per grid time and Σ x over deaths. Index 0 of i/j holds the order-0 sums.
CREATE OR REPLACE FUNCTION @federated.cox_risk_sets(
    query_id TEXT, participants TEXT[], endpoint TEXT, covariates TEXT[],
    beta DOUBLE PRECISION[], grid INTEGER[]
) RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s RECORD;
    labels TEXT[];
    vals NUMERIC[];
BEGIN
    IF cardinality(covariates) IS NULL OR cardinality(covariates) <> cardinality(beta) THEN
        RAISE EXCEPTION 'rwe-federated: one coefficient per covariate is needed'
            USING ERRCODE = '22023';
    END IF;
    IF cardinality(grid) IS NULL OR cardinality(grid) > 36525 THEN
        RAISE EXCEPTION 'rwe-federated: a grid of event times is needed' USING ERRCODE = '22023';
    END IF;
    s := @federated.cohort_summary(endpoint, 'all', covariates);
    IF EXISTS (SELECT 1 FROM @federated.analysis_rows(endpoint, 'all', covariates) r
               WHERE r.event = 1 AND NOT r.days = ANY (grid)) THEN
        -- Deaths off the grid would silently drop out of the pooled likelihood.
        RAISE EXCEPTION 'rwe-federated: an event time of this site is not on the grid'
            USING ERRCODE = '22023';
    END IF;
    PERFORM @federated.guard(query_id, 'cox_risk_sets',
                             -- not the grid: another grid asks the same question
                             concat_ws('|', endpoint, array_to_string(covariates, ',')),
                             participants, TRUE, s.n_patients, s.n_events, s.level_counts,
                             s.fingerprint);
    WITH ts AS (SELECT * FROM @federated.cox_time_sums(endpoint, covariates, beta)),
    g AS (SELECT u.t, u.n FROM unnest(grid) WITH ORDINALITY AS u (t, n)),
    ij AS (SELECT DISTINCT ts.i, ts.j FROM ts),
    released AS (
        SELECT 's|' || g.n || '|' || ij.i || '|' || ij.j AS lab,
               coalesce((SELECT sum(ts.a) FROM ts
                         WHERE ts.i = ij.i AND ts.j = ij.j AND ts.days >= g.t), 0) AS v
        FROM g CROSS JOIN ij
        UNION ALL
        SELECT 'dd|' || g.n || '|' || ij.i || '|' || ij.j,
               coalesce((SELECT sum(ts.dd) FROM ts
                         WHERE ts.i = ij.i AND ts.j = ij.j AND ts.days = g.t), 0)
        FROM g CROSS JOIN ij
        UNION ALL
        SELECT 'dn|' || g.n,
               coalesce((SELECT sum(ts.d) FROM ts
                         WHERE ts.i = 0 AND ts.j = 0 AND ts.days = g.t), 0)
        FROM g
        UNION ALL
        SELECT 'xd|' || ij.i, (SELECT sum(ts.xd) FROM ts WHERE ts.i = ij.i AND ts.j = 0)
        FROM ij WHERE ij.j = 0 AND ij.i > 0
        UNION ALL
        SELECT 'n', (SELECT sum(ts.c) FROM ts WHERE ts.i = 0 AND ts.j = 0)
        UNION ALL
        SELECT 'events', (SELECT sum(ts.d) FROM ts WHERE ts.i = 0 AND ts.j = 0)
    )
    SELECT array_agg(released.lab ORDER BY released.lab),
           array_agg(released.v::NUMERIC ORDER BY released.lab)
    INTO labels, vals
    FROM released;
    RETURN QUERY SELECT * FROM @federated.mask_release(query_id, participants, labels, vals);
END
$$;
