-- DEATH from Patient.deceasedDateTime (deceasedBoolean alone gives no date: no row).
INSERT INTO @cdm.death (person_id, death_date, death_datetime, death_type_concept_id,
    cause_concept_id, cause_source_concept_id)
SELECT w.resource_key * 1000, coalesce((s.death_datetime AT TIME ZONE 'UTC')::date, s.death_date),
       s.death_datetime AT TIME ZONE 'UTC', s.death_type_concept_id, 0, 0
  FROM stg_person s JOIN winner w ON w.occ = s.occ
 WHERE w.outcome = 'apply' AND w.action = 'loaded' AND (s.death_date IS NOT NULL OR s.death_datetime IS NOT NULL);
