-- Decide what each staged resource occurrence does (nightly semantics, §f2o-103):
--   superseded  a newer occurrence of the same resource is in this run;
--   older       meta.lastUpdated is older than the loaded version (never overwrite newer);
--   unchanged   same content hash and state as loaded;
--   noop        deletion of a resource that is not loaded;
--   apply       load / exclude / delete it.
CREATE TEMP TABLE winner ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*, row_number() OVER (
        PARTITION BY s.resource_type, s.fhir_id
        ORDER BY s.last_updated DESC NULLS LAST, s.occ DESC) AS rn
    FROM stg_resource s
)
SELECT r.occ, r.resource_type, r.fhir_id, r.last_updated, r.action, r.reason,
       r.person_ref, r.visit_ref, r.medication_ref, r.content_hash, r.file_no, r.line,
       f.resource_key, f.state AS old_state, f.person_id AS old_person_id,
       CASE
           WHEN r.rn > 1 THEN 'superseded'
           WHEN r.last_updated < f.last_updated THEN 'older'
           WHEN r.action <> 'deleted' AND f.state = r.action
                AND f.content_hash = r.content_hash THEN 'unchanged'
           WHEN r.action = 'deleted' AND (f.state IS NULL OR f.state = 'deleted') THEN 'noop'
           ELSE 'apply'
       END AS outcome,
       NULL::BIGINT AS person_id,
       NULL::BIGINT AS visit_occurrence_id
FROM ranked r
LEFT JOIN @rwe.fhir_resource f
       ON f.resource_type = r.resource_type AND f.fhir_id = r.fhir_id;
CREATE INDEX ON winner (occ);
CREATE INDEX ON winner (resource_type, fhir_id);
ANALYZE winner;
