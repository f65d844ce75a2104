-- MEASUREMENT rows (Observations whose concept is in the Measurement domain, §f2o-037), but
-- those update_measurement.sql wrote in place.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_datetime, measurement_type_concept_id, operator_concept_id,
        value_as_number, value_as_concept_id, unit_concept_id, range_low, range_high,
        visit_occurrence_id, measurement_source_value, measurement_source_concept_id,
        unit_source_value, value_source_value, measurement_event_id, meas_event_field_concept_id)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id, e.concept_id,
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', e.type_concept_id, e.operator_concept_id,
           e.value_as_number, e.value_as_concept_id, e.unit_concept_id, e.range_low, e.range_high,
           w.visit_occurrence_id, e.source_value, e.source_concept_id,
           e.unit_source_value, e.value_source_value,
           w.resource_key * 1000 + e.event_row, e.event_field_concept_id
      FROM stg_event e JOIN winner w ON w.occ = e.occ
     WHERE e.target = 'measurement' AND w.outcome = 'apply' AND w.action = 'loaded'
       AND NOT EXISTS (SELECT 1 FROM kept_measurement k
                        WHERE k.measurement_id = w.resource_key * 1000 + e.row_index)
    RETURNING person_id,
              measurement_date AS first_date,
              measurement_date AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
