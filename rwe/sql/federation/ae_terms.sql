-- The fixed, public adverse-event terms of Table III (the labels of concept sets adverse_event
-- and adverse_event_observation in rwe/omop_mappings/study_sorafenib.toml, written here by
-- site-setup): every site answers on all of them (a term absent at a site is a zero), so masked
-- vectors line up.
CREATE OR REPLACE FUNCTION @federated.ae_terms() RETURNS TEXT[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @ae_terms
$$;
