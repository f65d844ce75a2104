-- With adverse_event_row (Table III), the one place that reads the study tables of
-- `rwe derive`: one row per included person with every variable the protocol knows. Marker groups: high = value >= cutoff (paper 004).
CREATE OR REPLACE FUNCTION @federated.study_row()
RETURNS TABLE (
    person_id BIGINT,
    ttf_days INTEGER, ttf_event INTEGER,
    pfs_days INTEGER, pfs_event INTEGER,
    os_days INTEGER, os_event INTEGER,
    alc TEXT, nlr TEXT, plr TEXT, lmr TEXT,
    age DOUBLE PRECISION, sex TEXT, histology TEXT,
    orr TEXT, dcr TEXT, cbr TEXT,
    labs_complete BOOLEAN
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o.person_id,
           o.ttf_days, o.ttf_event::INTEGER, o.pfs_days, o.pfs_event::INTEGER,
           o.os_days, o.os_event::INTEGER,
           CASE WHEN m.alc IS NULL THEN NULL WHEN m.alc >= 1500 THEN 'high' ELSE 'low' END,
           CASE WHEN m.nlr IS NULL THEN NULL WHEN m.nlr >= 3 THEN 'high' ELSE 'low' END,
           CASE WHEN m.plr IS NULL THEN NULL WHEN m.plr >= 150 THEN 'high' ELSE 'low' END,
           CASE WHEN m.lmr IS NULL THEN NULL WHEN m.lmr >= 4 THEN 'high' ELSE 'low' END,
           c.age_at_index::DOUBLE PRECISION,
           CASE WHEN c.sex IN ('female', 'male') THEN c.sex END,
           CASE WHEN c.histology_group IN ('DTC', 'MTC', 'ATC') THEN c.histology_group END,
           CASE WHEN r.person_id IS NULL THEN NULL WHEN r.orr THEN 'yes' ELSE 'no' END,
           CASE WHEN r.person_id IS NULL THEN NULL WHEN r.dcr THEN 'yes' ELSE 'no' END,
           CASE WHEN r.person_id IS NULL THEN NULL WHEN r.cbr THEN 'yes' ELSE 'no' END,
           coalesce(m.complete, FALSE)
    FROM @study.sorafenib_outcome o
    LEFT JOIN @study.baseline_marker m ON m.person_id = o.person_id
    LEFT JOIN @study.sorafenib_characteristic c ON c.person_id = o.person_id
    LEFT JOIN @study.sorafenib_response r ON r.person_id = o.person_id
    WHERE o.included
$$;
