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
-- The derive triggers marked the persons of those rows (the COPY and the deletes above); none
-- of them was loaded (their Patients were staged, and nothing is), so the marks go too.
DELETE FROM @rwe.derive_dirty_person d
 USING (SELECT DISTINCT person_id FROM @rwe.fhir_resource WHERE run_id = @run_id) r
 WHERE d.person_id = r.person_id
   AND NOT EXISTS (SELECT 1 FROM @cdm.person p WHERE p.person_id = d.person_id);
DELETE FROM @rwe.fhir_resource WHERE run_id = @run_id;
