-- PROCEDURE_OCCURRENCE rows.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.procedure_occurrence (procedure_occurrence_id, person_id,
        procedure_concept_id, procedure_date, procedure_datetime, procedure_end_date,
        procedure_end_datetime, procedure_type_concept_id, visit_occurrence_id,
        procedure_source_value, procedure_source_concept_id)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id, e.concept_id,
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', coalesce((e.end_datetime AT TIME ZONE 'UTC')::date, e.end_date),
           e.end_datetime AT TIME ZONE 'UTC', e.type_concept_id,
           w.visit_occurrence_id, e.source_value, e.source_concept_id
      FROM stg_event e JOIN winner w ON w.occ = e.occ
     WHERE e.target = 'procedure_occurrence' AND w.outcome = 'apply' AND w.action = 'loaded'
    RETURNING person_id,
              procedure_date AS first_date,
              greatest(procedure_date, procedure_end_date) AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
