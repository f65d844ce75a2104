-- OBSERVATION_PERIOD: one period per person, from their first to their last event date,
-- type 32882 "Standard algorithm from EHR"; rebuilt for the persons this run touched.
-- Only recorded dates count: a drug exposure adds its start and its recorded end
-- (verbatim_end_date), never an end the ETL imputed (days supply, the 30-day default, or the
-- data date of an exposure still ongoing), so an active statement adds only its start.
CREATE TEMP TABLE affected_person ON COMMIT DROP AS
SELECT person_id FROM winner WHERE outcome = 'apply' AND person_id IS NOT NULL
UNION SELECT old_person_id FROM winner WHERE outcome = 'apply' AND old_person_id IS NOT NULL
UNION SELECT person_id FROM changed_key WHERE person_id IS NOT NULL;
CREATE UNIQUE INDEX ON affected_person (person_id);
ANALYZE affected_person;

DELETE FROM @cdm.observation_period o USING affected_person a WHERE o.person_id = a.person_id;

INSERT INTO @cdm.observation_period (observation_period_id, person_id,
    observation_period_start_date, observation_period_end_date, period_type_concept_id)
SELECT e.person_id, e.person_id, min(e.first_date), max(e.last_date), 32882
  FROM (
    SELECT person_id, min(measurement_date) AS first_date, max(measurement_date) AS last_date
      FROM @cdm.measurement WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
    UNION ALL
    SELECT person_id, min(observation_date), max(observation_date)
      FROM @cdm.observation WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
    UNION ALL
    SELECT person_id, min(condition_start_date),
           max(greatest(condition_start_date, condition_end_date))
      FROM @cdm.condition_occurrence WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
    UNION ALL
    SELECT person_id, min(drug_exposure_start_date),
           max(greatest(drug_exposure_start_date, verbatim_end_date))
      FROM @cdm.drug_exposure WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
    UNION ALL
    SELECT person_id, min(procedure_date), max(greatest(procedure_date, procedure_end_date))
      FROM @cdm.procedure_occurrence WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
    UNION ALL
    SELECT person_id, min(visit_start_date), max(visit_end_date)
      FROM @cdm.visit_occurrence WHERE person_id IN (SELECT person_id FROM affected_person)
     GROUP BY person_id
  ) e
 WHERE EXISTS (SELECT 1 FROM @cdm.person p WHERE p.person_id = e.person_id)
 GROUP BY e.person_id;
