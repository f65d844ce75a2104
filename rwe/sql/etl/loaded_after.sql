-- Patients, Encounters and Medications that are loaded once this run commits: references
-- resolve against these (a Patient rejected or deleted now is not among them).
CREATE TEMP TABLE loaded_after ON COMMIT DROP AS
SELECT f.resource_type, f.fhir_id, f.resource_key FROM @rwe.fhir_resource f
 WHERE f.resource_type IN ('Patient', 'Encounter', 'Medication') AND f.state = 'loaded'
   AND NOT EXISTS (SELECT 1 FROM candidate c WHERE c.outcome = 'apply'
                     AND c.resource_type = f.resource_type AND c.fhir_id = f.fhir_id)
UNION ALL
SELECT c.resource_type, c.fhir_id, c.resource_key FROM candidate c
 WHERE c.resource_type IN ('Patient', 'Encounter', 'Medication')
   AND c.outcome = 'apply' AND c.action = 'loaded';
CREATE UNIQUE INDEX ON loaded_after (resource_type, fhir_id);
ANALYZE loaded_after;
