-- Record what each applied resource now is (the next run compares against it), and forget the
-- events of removed Patients so they load again if they come back.
UPDATE @rwe.fhir_resource f
   SET state = w.action, last_updated = w.last_updated,
       content_hash = CASE WHEN w.action = 'deleted' THEN NULL ELSE w.content_hash END,
       person_id = CASE WHEN w.resource_type = 'Patient' AND w.action = 'loaded'
                        THEN w.resource_key * 1000 END,
       run_id = @run_id
  FROM winner w
 WHERE w.outcome = 'apply' AND f.resource_key = w.resource_key;

UPDATE @rwe.fhir_resource f SET state = 'deleted', content_hash = NULL, run_id = @run_id
  FROM changed_key c
 WHERE f.resource_key = c.resource_key AND f.resource_type <> 'Patient'
   AND NOT EXISTS (SELECT 1 FROM winner w WHERE w.resource_key = c.resource_key
                     AND w.outcome = 'apply');
