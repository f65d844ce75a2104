-- Every staged occurrence with its outcome, person and visit: a resource whose subject is not
-- a Patient loaded after this run, or whose medicationReference is not a loaded Medication,
-- is rejected (its previous version, if any, stays). A visit that is not loaded leaves
-- visit_occurrence_id empty.
CREATE TEMP TABLE winner ON COMMIT DROP AS
SELECT c.occ, c.resource_type, c.fhir_id, c.last_updated, c.action, c.content_hash,
       c.file_no, c.line, c.medication_ref, c.old_state, c.old_person_id, c.resource_key,
       c.row_count, c.old_row_count,
       CASE
           WHEN c.outcome <> 'apply' OR c.action <> 'loaded' THEN c.outcome
           WHEN c.person_ref IS NOT NULL AND p.resource_key IS NULL THEN 'rejected'
           WHEN c.medication_ref IS NOT NULL AND m.resource_key IS NULL THEN 'rejected'
           ELSE 'apply'
       END AS outcome,
       CASE
           WHEN c.outcome <> 'apply' OR c.action <> 'loaded' THEN c.reason
           WHEN c.person_ref IS NOT NULL AND p.resource_key IS NULL
               THEN 'reference: subject Patient/' || c.person_ref || ' is not loaded'
           WHEN c.medication_ref IS NOT NULL AND m.resource_key IS NULL
               THEN 'reference: medicationReference Medication/' || c.medication_ref
                    || ' is not loaded'
           ELSE c.reason
       END AS reason,
       CASE WHEN c.resource_type = 'Patient' THEN c.resource_key * 1000
            ELSE p.resource_key * 1000 END AS person_id,
       CASE WHEN c.resource_type = 'Encounter' THEN c.resource_key * 1000
            ELSE e.resource_key * 1000 END AS visit_occurrence_id
  FROM candidate c
  LEFT JOIN loaded_after p ON p.resource_type = 'Patient' AND p.fhir_id = c.person_ref
  LEFT JOIN loaded_after e ON e.resource_type = 'Encounter' AND e.fhir_id = c.visit_ref
  LEFT JOIN loaded_after m ON m.resource_type = 'Medication' AND m.fhir_id = c.medication_ref;
CREATE INDEX ON winner (occ);
ANALYZE winner;
