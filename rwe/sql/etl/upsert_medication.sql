-- The drug concept of each Medication (used by medicationReference), kept across runs.
DELETE FROM @rwe.medication m USING winner w
 WHERE w.resource_type = 'Medication' AND w.outcome = 'apply'
   AND m.resource_key = w.resource_key;
INSERT INTO @rwe.medication (resource_key, concept_id, source_concept_id, source_value)
SELECT w.resource_key, s.concept_id, s.source_concept_id, left(s.source_value, 50)
  FROM stg_medication s JOIN winner w ON w.occ = s.occ
 WHERE w.outcome = 'apply' AND w.action = 'loaded';
