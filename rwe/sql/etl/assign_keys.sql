-- Stable OMOP ids: every resource gets a key once (rwe.fhir_resource, outside the OMOP schema,
-- §f2o-023); its rows are key * 1000 + row_index in every run.
INSERT INTO @rwe.fhir_resource (resource_type, fhir_id, state, run_id)
SELECT DISTINCT resource_type, fhir_id, 'deleted', @run_id
  FROM winner WHERE outcome = 'apply' AND resource_key IS NULL
ON CONFLICT (resource_type, fhir_id) DO NOTHING;

UPDATE winner w SET resource_key = f.resource_key
  FROM @rwe.fhir_resource f
 WHERE w.resource_key IS NULL AND w.outcome = 'apply'
   AND f.resource_type = w.resource_type AND f.fhir_id = w.fhir_id;
