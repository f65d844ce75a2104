-- One person's level of a group_variable variable (NULL = missing: left out of that analysis).
CREATE OR REPLACE FUNCTION @federated.variable_value(
    variable TEXT, alc TEXT, nlr TEXT, plr TEXT, lmr TEXT, sex TEXT, histology TEXT,
    orr TEXT, dcr TEXT, cbr TEXT
) RETURNS TEXT
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE variable
        WHEN 'all' THEN 'all'
        WHEN 'alc' THEN alc WHEN 'nlr' THEN nlr WHEN 'plr' THEN plr WHEN 'lmr' THEN lmr
        WHEN 'sex' THEN sex WHEN 'histology' THEN histology
        WHEN 'orr' THEN orr WHEN 'dcr' THEN dcr WHEN 'cbr' THEN cbr
    END
$$;
