-- A resource whose subject is not a Patient loaded after this run, or whose
-- medicationReference is not a known Medication, is rejected (its previous version stays).
CREATE TEMP TABLE patient_after ON COMMIT DROP AS
SELECT f.fhir_id FROM @rwe.fhir_resource f
 WHERE f.resource_type = 'Patient' AND f.state = 'loaded'
   AND NOT EXISTS (SELECT 1 FROM winner w WHERE w.resource_type = 'Patient'
                     AND w.fhir_id = f.fhir_id AND w.outcome = 'apply')
UNION
SELECT w.fhir_id FROM winner w
 WHERE w.resource_type = 'Patient' AND w.outcome = 'apply' AND w.action = 'loaded';
CREATE UNIQUE INDEX ON patient_after (fhir_id);

CREATE TEMP TABLE medication_after ON COMMIT DROP AS
SELECT f.fhir_id FROM @rwe.fhir_resource f
 WHERE f.resource_type = 'Medication' AND f.state = 'loaded'
   AND NOT EXISTS (SELECT 1 FROM winner w WHERE w.resource_type = 'Medication'
                     AND w.fhir_id = f.fhir_id AND w.outcome = 'apply')
UNION
SELECT w.fhir_id FROM winner w
 WHERE w.resource_type = 'Medication' AND w.outcome = 'apply' AND w.action = 'loaded';
CREATE UNIQUE INDEX ON medication_after (fhir_id);

UPDATE winner w
   SET outcome = 'rejected',
       reason = 'reference: subject Patient/' || w.person_ref || ' is not loaded'
 WHERE w.outcome = 'apply' AND w.action = 'loaded' AND w.person_ref IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM patient_after p WHERE p.fhir_id = w.person_ref);

UPDATE winner w
   SET outcome = 'rejected',
       reason = 'reference: medicationReference Medication/' || w.medication_ref || ' is not loaded'
 WHERE w.outcome = 'apply' AND w.action = 'loaded' AND w.medication_ref IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM medication_after m WHERE m.fhir_id = w.medication_ref);
