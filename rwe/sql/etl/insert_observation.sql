-- OBSERVATION rows (Observation-domain concepts, CTCAE grades of adverse-event Conditions).
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.observation (observation_id, person_id, observation_concept_id,
        observation_date, observation_datetime, observation_type_concept_id, value_as_number,
        value_as_string, value_as_concept_id, unit_concept_id, visit_occurrence_id,
        observation_source_value, observation_source_concept_id, unit_source_value,
        value_source_value, observation_event_id, obs_event_field_concept_id)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id, e.concept_id,
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', e.type_concept_id, e.value_as_number,
           e.value_as_string, e.value_as_concept_id, e.unit_concept_id, w.visit_occurrence_id,
           e.source_value, e.source_concept_id, e.unit_source_value,
           e.value_source_value, w.resource_key * 1000 + e.event_row, e.event_field_concept_id
      FROM stg_event e JOIN winner w ON w.occ = e.occ
     WHERE e.target = 'observation' AND w.outcome = 'apply' AND w.action = 'loaded'
    RETURNING person_id,
              observation_date AS first_date,
              observation_date AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
