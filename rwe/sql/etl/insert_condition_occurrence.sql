-- CONDITION_OCCURRENCE rows.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.condition_occurrence (condition_occurrence_id, person_id,
        condition_concept_id, condition_start_date, condition_start_datetime, condition_end_date,
        condition_end_datetime, condition_type_concept_id, stop_reason, visit_occurrence_id,
        condition_source_value, condition_source_concept_id)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id, e.concept_id,
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', coalesce((e.end_datetime AT TIME ZONE 'UTC')::date, e.end_date),
           e.end_datetime AT TIME ZONE 'UTC', e.type_concept_id,
           e.stop_reason, w.visit_occurrence_id, e.source_value, e.source_concept_id
      FROM stg_event e JOIN winner w ON w.occ = e.occ
     WHERE e.target = 'condition_occurrence' AND w.outcome = 'apply' AND w.action = 'loaded'
    RETURNING person_id,
              condition_start_date AS first_date,
              greatest(condition_start_date, condition_end_date) AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
