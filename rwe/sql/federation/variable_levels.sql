-- The fixed, public levels of each group_variable variable: every site answers on the same labels
-- (a level absent at a site is a zero), so masked vectors line up.
CREATE OR REPLACE FUNCTION @federated.variable_levels(variable TEXT) RETURNS TEXT[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE
        WHEN variable = 'all' THEN ARRAY['all']
        WHEN variable IN ('alc', 'nlr', 'plr', 'lmr') THEN ARRAY['high', 'low']
        WHEN variable = 'sex' THEN ARRAY['female', 'male']
        WHEN variable = 'histology' THEN ARRAY['DTC', 'MTC', 'ATC']
        WHEN variable IN ('orr', 'dcr', 'cbr') THEN ARRAY['yes', 'no']
    END;
END
$$;
