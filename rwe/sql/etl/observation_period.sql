-- OBSERVATION_PERIOD: one period per person, from their first to their last event date,
-- type 32882 "Standard algorithm from EHR"; updated for the persons this run touched.
-- Only recorded dates count: a drug exposure adds its start and its recorded end
-- (verbatim_end_date), never an end the ETL imputed (days supply, the 30-day default, or the
-- data date of an exposure still ongoing), so an active statement adds only its start.
--
-- A period changes only when its person's event rows gain or lose a date, and every step
-- that adds, removes or moves an event row records its dates in event_date (changed_key.sql);
-- a lab value corrected in place records none. The Patients applied now count too: a first
-- load's direct rows (rwe/etl/direct.py) record no dates, and their Patients are all new.
CREATE TEMP TABLE affected_person ON COMMIT DROP AS
SELECT person_id FROM event_date
UNION SELECT person_id FROM winner
 WHERE resource_type = 'Patient' AND outcome = 'apply' AND person_id IS NOT NULL
UNION SELECT old_person_id FROM winner
 WHERE resource_type = 'Patient' AND outcome = 'apply' AND old_person_id IS NOT NULL;
CREATE UNIQUE INDEX ON affected_person (person_id);
ANALYZE affected_person;

-- A period this run removed no event on the first or last date of can only grow: its new
-- bounds come from the dates of the rows added (event_date, filled by the merge steps), not
-- from every event of the person (a nightly increment touches many persons with long
-- histories). The other touched persons' periods are rebuilt from all their events.
CREATE TEMP TABLE grown_period ON COMMIT DROP AS
SELECT o.person_id,
       least(o.observation_period_start_date, min(d.first_date)) AS start_date,
       greatest(o.observation_period_end_date, max(d.last_date)) AS end_date
  FROM @cdm.observation_period o
  JOIN affected_person a ON a.person_id = o.person_id
  LEFT JOIN event_date d ON d.person_id = o.person_id AND NOT d.removed
 WHERE EXISTS (SELECT 1 FROM @cdm.person p WHERE p.person_id = o.person_id)
   AND NOT EXISTS (
       SELECT 1 FROM event_date r
        WHERE r.person_id = o.person_id AND r.removed
          AND (r.first_date <= o.observation_period_start_date
               OR r.last_date >= o.observation_period_end_date))
 GROUP BY o.person_id, o.observation_period_start_date, o.observation_period_end_date;

UPDATE @cdm.observation_period o
   SET observation_period_start_date = g.start_date, observation_period_end_date = g.end_date
  FROM grown_period g
 WHERE o.person_id = g.person_id
   AND (o.observation_period_start_date, o.observation_period_end_date)
       <> (g.start_date, g.end_date);

DELETE FROM affected_person a USING grown_period g WHERE a.person_id = g.person_id;
ANALYZE affected_person;  -- often few are left: let the planner use the person_id indexes

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
