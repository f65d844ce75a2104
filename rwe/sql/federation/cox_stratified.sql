-- Cox model stratified by site: this site's log partial likelihood, score (gradient) and
-- information matrix at the broadcast coefficients, in one SQL statement (coxfit6's sums;
-- Efron: d terms with k/d of the tied deaths' risk removed; Breslow: one term of weight d).
CREATE OR REPLACE FUNCTION @federated.cox_stratified(
    query_id TEXT, participants TEXT[], endpoint TEXT, covariates TEXT[],
    beta DOUBLE PRECISION[], ties TEXT
) RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s RECORD;
    efron BOOLEAN := ties = 'efron';
    labels TEXT[];
    vals NUMERIC[];
BEGIN
    IF ties IS NULL OR ties NOT IN ('breslow', 'efron') THEN
        RAISE EXCEPTION 'rwe-federated: unknown ties method %', ties USING ERRCODE = '22023';
    END IF;
    IF cardinality(covariates) IS NULL OR cardinality(covariates) <> cardinality(beta) THEN
        RAISE EXCEPTION 'rwe-federated: one coefficient per covariate is needed'
            USING ERRCODE = '22023';
    END IF;
    s := @federated.cohort_summary(endpoint, 'all', covariates);
    PERFORM @federated.guard(query_id, 'cox_stratified',
                             concat_ws('|', endpoint, array_to_string(covariates, ','), ties),
                             participants, TRUE, s.n_patients, s.n_events, s.level_counts,
                             s.fingerprint);
    WITH ts AS (SELECT * FROM @federated.cox_time_sums(endpoint, covariates, beta)),
    cs AS (
        SELECT ts.days, ts.i, ts.j, ts.dd, ts.xd, ts.c, ts.d,
               sum(ts.a) OVER (PARTITION BY ts.i, ts.j ORDER BY ts.days DESC) AS s
        FROM ts
    ),
    ev AS (SELECT cs.days, cs.xd AS d FROM cs WHERE cs.i = 0 AND cs.j = 0 AND cs.xd > 0),
    term AS (
        SELECT ev.days, g.k,
               CASE WHEN efron THEN g.k / ev.d ELSE 1.0 END AS frac,
               CASE WHEN efron THEN 1.0 ELSE ev.d END AS wt
        FROM ev, generate_series(1, CASE WHEN efron THEN ev.d::INTEGER ELSE 1 END) AS g (k)
    ),
    num AS (
        SELECT term.days, term.k, term.wt, cs.i, cs.j, cs.s - cs.dd + term.frac * cs.dd AS v
        FROM term JOIN cs ON cs.days = term.days
    ),
    moment AS (  -- num / denominator: 1 at (0,0), mean at (i,0), second moment at (i,j)
        SELECT num.days, num.k, num.wt, num.i, num.j, num.v, num.v / den.v AS m
        FROM num JOIN num den
          ON den.days = num.days AND den.k = num.k AND den.i = 0 AND den.j = 0
    ),
    xdt AS (SELECT cs.i, sum(cs.xd) AS xd FROM cs WHERE cs.j = 0 AND cs.i > 0 GROUP BY cs.i),
    released AS (
        SELECT 'loglik' AS lab,
               coalesce((SELECT sum(xdt.xd * beta[xdt.i]) FROM xdt), 0)
               - coalesce((SELECT sum(moment.wt * ln(moment.v)) FROM moment
                           WHERE moment.i = 0 AND moment.j = 0), 0) AS v
        UNION ALL
        SELECT 'gradient|' || xdt.i,
               xdt.xd - coalesce((SELECT sum(moment.wt * moment.m) FROM moment
                                  WHERE moment.i = xdt.i AND moment.j = 0), 0)
        FROM xdt
        UNION ALL
        SELECT 'information|' || s2.i || '|' || s2.j,
               coalesce(sum(s2.wt * (s2.m - ma.m * mb.m)), 0)
        FROM moment s2
        JOIN moment ma ON ma.days = s2.days AND ma.k = s2.k AND ma.i = s2.i AND ma.j = 0
        JOIN moment mb ON mb.days = s2.days AND mb.k = s2.k AND mb.i = s2.j AND mb.j = 0
        WHERE s2.i > 0 AND s2.j > 0
        GROUP BY s2.i, s2.j
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
