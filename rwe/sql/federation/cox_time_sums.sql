-- Per distinct time of this site's rows at coefficients beta (internal): subjects' relative
-- risks r = exp(x·beta) summed over all rows (a) and over the deaths (dd) at that time, for
-- the order 0, 1 (i) and 2 (i, j) moments, plus Σ x over deaths (xd), deaths (d), rows (c).
-- Index 0 of i/j carries the scalar (order-0) sums, so one long table holds them all.
CREATE OR REPLACE FUNCTION @federated.cox_time_sums(
    endpoint TEXT, covariates TEXT[], beta DOUBLE PRECISION[]
) RETURNS TABLE (days INTEGER, i INTEGER, j INTEGER, a FLOAT8, dd FLOAT8, xd FLOAT8, d FLOAT8,
                  c FLOAT8)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS (
        SELECT row_number() OVER () AS id, rows.days, rows.event,
               ARRAY[1.0::FLOAT8] || rows.x AS x  -- x[1] = 1: the order-0 "covariate"
        FROM @federated.analysis_rows(endpoint, 'all', covariates) AS rows
    ),
    w AS (
        SELECT r.id, r.days, r.event, r.x,
               exp((SELECT coalesce(sum(v.xv * beta[v.k]), 0)
                    FROM unnest(r.x[2:]) WITH ORDINALITY AS v (xv, k))) AS rr
        FROM r
    )
    SELECT w.days, a.k::INTEGER - 1, b.k::INTEGER - 1,
           sum(w.rr * a.xa * b.xb), sum(w.rr * w.event * a.xa * b.xb),
           sum(w.event * a.xa * b.xb), sum(w.event)::FLOAT8, count(*)::FLOAT8
    FROM w,
         unnest(w.x) WITH ORDINALITY AS a (xa, k),
         unnest(w.x) WITH ORDINALITY AS b (xb, k)
    GROUP BY w.days, a.k, b.k
$$;
