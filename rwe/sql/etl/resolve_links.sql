-- person_id and visit_occurrence_id of the resources loaded in this run.
UPDATE winner w SET person_id = CASE WHEN w.resource_type = 'Patient'
                                     THEN w.resource_key * 1000 ELSE p.resource_key * 1000 END
  FROM @rwe.fhir_resource p
 WHERE w.outcome = 'apply' AND w.action = 'loaded'
   AND p.resource_type = 'Patient' AND p.state = 'loaded'
   AND p.fhir_id = CASE WHEN w.resource_type = 'Patient' THEN w.fhir_id ELSE w.person_ref END;

UPDATE winner w SET visit_occurrence_id = CASE WHEN w.resource_type = 'Encounter'
                                               THEN w.resource_key * 1000
                                               ELSE e.resource_key * 1000 END
  FROM @rwe.fhir_resource e
 WHERE w.outcome = 'apply' AND w.action = 'loaded'
   AND e.resource_type = 'Encounter' AND e.state = 'loaded'
   AND e.fhir_id = CASE WHEN w.resource_type = 'Encounter' THEN w.fhir_id ELSE w.visit_ref END;

UPDATE @rwe.fhir_resource f SET person_id = w.person_id
  FROM winner w
 WHERE w.outcome = 'apply' AND w.action = 'loaded' AND f.resource_key = w.resource_key
   AND w.resource_type <> 'Patient';
