-- A disclosure setting as an integer (the defaults live in rwe/federation/site_setup.py).
CREATE OR REPLACE FUNCTION @federated.setting_value(setting_name TEXT) RETURNS INTEGER
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT value::INTEGER FROM @federated.setting WHERE name = setting_name
$$;
