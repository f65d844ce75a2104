-- Take back the first-load direct path's rows (rwe/etl/direct.py) when the run loads nothing
-- (above --max-reject-rate): before the merge, this run's id-map rows are exactly them, and a
-- resource's rows have the ids key * 1000 .. key * 1000 + 999.
DELETE FROM @cdm.measurement t USING @rwe.fhir_resource f
 WHERE f.run_id = @run_id
   AND t.measurement_id >= f.resource_key * 1000 AND t.measurement_id < f.resource_key * 1000 + 1000;
DELETE FROM @cdm.observation t USING @rwe.fhir_resource f
 WHERE f.run_id = @run_id
   AND t.observation_id >= f.resource_key * 1000 AND t.observation_id < f.resource_key * 1000 + 1000;
DELETE FROM @cdm.visit_occurrence t USING @rwe.fhir_resource f
 WHERE f.run_id = @run_id AND t.visit_occurrence_id >= f.resource_key * 1000
   AND t.visit_occurrence_id < f.resource_key * 1000 + 1000;
DELETE FROM @cdm.condition_occurrence t USING @rwe.fhir_resource f
 WHERE f.run_id = @run_id AND t.condition_occurrence_id >= f.resource_key * 1000
   AND t.condition_occurrence_id < f.resource_key * 1000 + 1000;
DELETE FROM @cdm.drug_exposure t USING @rwe.fhir_resource f
 WHERE f.run_id = @run_id AND t.drug_exposure_id >= f.resource_key * 1000
   AND t.drug_exposure_id < f.resource_key * 1000 + 1000;
DELETE FROM @rwe.fhir_resource WHERE run_id = @run_id;
