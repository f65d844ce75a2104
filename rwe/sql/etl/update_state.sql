-- Record what each applied resource now is (the next run compares against it): new resources
-- are inserted, known ones updated; events of removed Patients are forgotten so they load
-- again if they come back.
INSERT INTO @rwe.fhir_resource (resource_key, resource_type, fhir_id, state, last_updated,
    content_hash, person_id, run_id, row_count)
SELECT resource_key, resource_type, fhir_id, action, last_updated,
       CASE WHEN action = 'deleted' THEN NULL ELSE content_hash END,
       CASE WHEN action = 'loaded' THEN person_id END, @run_id,
       CASE WHEN action = 'loaded' THEN row_count END
  FROM winner WHERE outcome = 'apply' AND old_state IS NULL;

UPDATE @rwe.fhir_resource f
   SET state = w.action, last_updated = w.last_updated,
       content_hash = CASE WHEN w.action = 'deleted' THEN NULL ELSE w.content_hash END,
       person_id = CASE WHEN w.action = 'loaded' THEN w.person_id END,
       run_id = @run_id, row_count = CASE WHEN w.action = 'loaded' THEN w.row_count END
  FROM winner w
 WHERE w.outcome = 'apply' AND w.old_state IS NOT NULL AND f.resource_key = w.resource_key;

UPDATE @rwe.fhir_resource f
   SET state = 'deleted', content_hash = NULL, run_id = @run_id, row_count = NULL
  FROM changed_key c
 WHERE f.resource_key = c.resource_key AND f.resource_type <> 'Patient'
   AND NOT EXISTS (SELECT 1 FROM winner w WHERE w.resource_key = c.resource_key
                     AND w.outcome = 'apply');
