-- With study_row, the one place that reads the study tables: the adverse events (one row per
-- person and term, the maximum CTCAE grade) of the included persons, on the protocol's terms
-- (internal: never granted to the federated role).
CREATE OR REPLACE FUNCTION @federated.adverse_event_row()
RETURNS TABLE (person_id BIGINT, term TEXT, max_grade INTEGER)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.person_id, a.term::TEXT, a.max_grade::INTEGER
    FROM @study.sorafenib_adverse_event a
    WHERE a.person_id IN (SELECT s.person_id FROM @federated.study_row() s)
      AND a.term = ANY (@federated.ae_terms())
$$;
