-- PERSON rows of the Patients loaded in this run (no names or identifiers, §f2o-022;
-- person_source_value stays empty: the FHIR id map lives in @rwe, §f2o-024).
INSERT INTO @cdm.person (person_id, gender_concept_id, year_of_birth, month_of_birth,
    day_of_birth, birth_datetime, race_concept_id, ethnicity_concept_id, gender_source_value,
    gender_source_concept_id, race_source_value, race_source_concept_id,
    ethnicity_source_value, ethnicity_source_concept_id)
SELECT w.resource_key * 1000, s.gender_concept_id, s.year_of_birth, s.month_of_birth,
       s.day_of_birth, s.birth_datetime, s.race_concept_id, s.ethnicity_concept_id,
       left(s.gender_source_value, 50), 0, left(s.race_source_value, 50), 0,
       left(s.ethnicity_source_value, 50), 0
  FROM stg_person s JOIN winner w ON w.occ = s.occ
 WHERE w.outcome = 'apply' AND w.action = 'loaded';
