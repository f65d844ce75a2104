-- Decide what each staged resource occurrence does (nightly semantics, §f2o-103):
--   superseded  a newer occurrence of the same resource is in this run;
--   older       meta.lastUpdated is older than the loaded version (never overwrite newer);
--   unchanged   same content hash and state as loaded;
--   noop        deletion of a resource that is not loaded;
--   apply       load / exclude / delete it.
-- A resource seen for the first time gets its key now (stable OMOP ids, §f2o-023): the
-- largest key before the run plus its occurrence number (numbers of occurrences that are not
-- applied are left unused). Not nextval(): a sequence does not roll back, so a killed run
-- would shift the keys (and OMOP ids) of the rerun; the run's lock makes max() safe. The
-- first-load direct path (rwe/etl/direct.py) gives keys by the same rule while reading.
CREATE TEMP TABLE candidate ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*, row_number() OVER (  -- "C": a byte sort (equality is the same), far faster
        PARTITION BY s.resource_type COLLATE "C", s.fhir_id COLLATE "C"
        ORDER BY s.last_updated DESC NULLS LAST, s.occ DESC) AS rn
    FROM stg_resource s
), decided AS (
    SELECT r.*, f.resource_key AS old_key, f.state AS old_state, f.person_id AS old_person_id,
           f.row_count AS old_row_count,
           CASE
               WHEN r.rn > 1 THEN 'superseded'
               WHEN r.last_updated < f.last_updated THEN 'older'
               WHEN r.action <> 'deleted' AND f.state = r.action
                    AND f.content_hash = r.content_hash THEN 'unchanged'
               WHEN r.action = 'deleted' AND (f.state IS NULL OR f.state = 'deleted') THEN 'noop'
               ELSE 'apply'
           END AS outcome
    FROM ranked r
    LEFT JOIN @rwe.fhir_resource f  -- on a first load nothing was loaded before the run:
           ON @last_key > 0         -- no lookup (the direct path's rows are this run's)
          AND f.resource_type = r.resource_type AND f.fhir_id = r.fhir_id
)
SELECT d.occ, d.resource_type, d.fhir_id, d.last_updated, d.action, d.reason, d.person_ref,
       d.visit_ref, d.medication_ref, d.content_hash, d.file_no, d.line, d.old_state,
       d.old_person_id, d.outcome, d.row_count, d.old_row_count,
       CASE WHEN d.old_key IS NOT NULL THEN d.old_key
            WHEN d.outcome = 'apply' THEN k.last_key + d.occ
       END AS resource_key
  FROM decided d
 CROSS JOIN (SELECT @last_key::bigint AS last_key) k;  -- the largest key before the run
CREATE INDEX ON candidate (resource_type, fhir_id) WHERE outcome = 'apply';
ANALYZE candidate;
