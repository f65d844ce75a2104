-- VISIT_OCCURRENCE rows (Encounters); the visit id is the Encounter's key * 1000.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.visit_occurrence (visit_occurrence_id, person_id, visit_concept_id,
        visit_start_date, visit_start_datetime, visit_end_date, visit_end_datetime,
        visit_type_concept_id, visit_source_value, visit_source_concept_id)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id, e.concept_id,
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', coalesce((e.end_datetime AT TIME ZONE 'UTC')::date, e.end_date),
           e.end_datetime AT TIME ZONE 'UTC', e.type_concept_id,
           e.source_value, e.source_concept_id
      FROM stg_event e JOIN winner w ON w.occ = e.occ
     WHERE e.target = 'visit_occurrence' AND w.outcome = 'apply' AND w.action = 'loaded'
    RETURNING person_id,
              visit_start_date AS first_date,
              visit_end_date AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
