-- Patients, Encounters and Medications that are loaded once this run commits: references
-- resolve against these (a Patient rejected or deleted now is not among them). Of the ones
-- loaded before, only those a staged resource refers to (the joins look nothing else up):
-- an increment does not copy every loaded Patient and Encounter.
CREATE TEMP TABLE loaded_after ON COMMIT DROP AS
SELECT f.resource_type, f.fhir_id, f.resource_key FROM @rwe.fhir_resource f
 WHERE f.state = 'loaded'
   AND ((f.resource_type = 'Patient'
         AND f.fhir_id IN (SELECT c.person_ref FROM candidate c))
     OR (f.resource_type = 'Encounter'
         AND f.fhir_id IN (SELECT c.visit_ref FROM candidate c))
     OR (f.resource_type = 'Medication'
         AND f.fhir_id IN (SELECT c.medication_ref FROM candidate c)))
   AND NOT EXISTS (SELECT 1 FROM candidate c WHERE c.outcome = 'apply'
                     AND c.resource_type = f.resource_type AND c.fhir_id = f.fhir_id)
UNION ALL
SELECT c.resource_type, c.fhir_id, c.resource_key FROM candidate c
 WHERE c.resource_type IN ('Patient', 'Encounter', 'Medication')
   AND c.outcome = 'apply' AND c.action = 'loaded';
CREATE UNIQUE INDEX ON loaded_after (resource_type, fhir_id);
ANALYZE loaded_after;
