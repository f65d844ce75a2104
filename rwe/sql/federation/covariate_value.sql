-- One person's value of a Cox covariate (indicators are 1 for the non-reference level).
CREATE OR REPLACE FUNCTION @federated.covariate_value(
    covariate TEXT, alc TEXT, nlr TEXT, plr TEXT, lmr TEXT, age DOUBLE PRECISION, sex TEXT
) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE covariate
        WHEN 'alc_high' THEN (alc = 'high')::INTEGER::DOUBLE PRECISION
        WHEN 'nlr_high' THEN (nlr = 'high')::INTEGER::DOUBLE PRECISION
        WHEN 'plr_high' THEN (plr = 'high')::INTEGER::DOUBLE PRECISION
        WHEN 'lmr_high' THEN (lmr = 'high')::INTEGER::DOUBLE PRECISION
        WHEN 'male' THEN (sex = 'male')::INTEGER::DOUBLE PRECISION
        WHEN 'age' THEN age
    END
$$;
