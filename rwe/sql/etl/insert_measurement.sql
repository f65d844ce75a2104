-- MEASUREMENT rows (new_measurement, update_measurement.sql) but those written in place there.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.measurement (measurement_id, person_id, measurement_concept_id,
        measurement_date, measurement_datetime, measurement_type_concept_id, operator_concept_id,
        value_as_number, value_as_concept_id, unit_concept_id, range_low, range_high,
        visit_occurrence_id, measurement_source_value, measurement_source_concept_id,
        unit_source_value, value_source_value, measurement_event_id, meas_event_field_concept_id)
    SELECT measurement_id, person_id, measurement_concept_id,
           measurement_date, measurement_datetime, measurement_type_concept_id, operator_concept_id,
           value_as_number, value_as_concept_id, unit_concept_id, range_low, range_high,
           visit_occurrence_id, measurement_source_value, measurement_source_concept_id,
           unit_source_value, value_source_value, measurement_event_id, meas_event_field_concept_id
      FROM new_measurement n
     WHERE NOT EXISTS (SELECT 1 FROM kept_measurement k WHERE k.measurement_id = n.measurement_id)
    RETURNING person_id,
              measurement_date AS first_date,
              measurement_date AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
