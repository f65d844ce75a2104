-- MEASUREMENT rows of changed resources rewritten in place (a lab result corrected, a status
-- moved from preliminary to final): where the new version of a loaded resource has a row with
-- the id of one of its current rows, that row is updated instead of deleted and inserted
-- again. When no indexed column changes and its page has room (fillfactor, migration 0007),
-- the update is HOT: none of MEASUREMENT's five indexes is touched. Rows updated here are
-- kept_measurement: delete_measurement.sql leaves them and insert_measurement.sql skips them.
-- A row whose person or date changed sends both dates to event_date (changed_key.sql), as a
-- delete and an insert would, for the observation period; an unchanged date changes no period.

-- The MEASUREMENT rows this run writes (Observations whose concept is in the Measurement
-- domain, §f2o-037), for this step and insert_measurement.sql; a view, so nothing is copied
-- (dropped at commit with the tables it reads).
CREATE TEMP VIEW new_measurement AS
SELECT w.resource_key * 1000 + e.row_index AS measurement_id, w.person_id,
       e.concept_id AS measurement_concept_id,
       coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date) AS measurement_date,
       e.start_datetime AT TIME ZONE 'UTC' AS measurement_datetime,
       e.type_concept_id AS measurement_type_concept_id, e.operator_concept_id,
       e.value_as_number, e.value_as_concept_id, e.unit_concept_id, e.range_low, e.range_high,
       w.visit_occurrence_id, e.source_value AS measurement_source_value,
       e.source_concept_id AS measurement_source_concept_id, e.unit_source_value,
       e.value_source_value, w.resource_key * 1000 + e.event_row AS measurement_event_id,
       e.event_field_concept_id AS meas_event_field_concept_id,
       w.old_state
  FROM stg_event e JOIN winner w ON w.occ = e.occ
 WHERE e.target = 'measurement' AND w.outcome = 'apply' AND w.action = 'loaded';

CREATE TEMP TABLE kept_measurement (measurement_id bigint PRIMARY KEY) ON COMMIT DROP;

WITH updated AS (
    UPDATE @cdm.measurement t
       SET person_id = n.person_id, measurement_concept_id = n.measurement_concept_id,
           measurement_date = n.measurement_date, measurement_datetime = n.measurement_datetime,
           measurement_type_concept_id = n.measurement_type_concept_id,
           operator_concept_id = n.operator_concept_id, value_as_number = n.value_as_number,
           value_as_concept_id = n.value_as_concept_id, unit_concept_id = n.unit_concept_id,
           range_low = n.range_low, range_high = n.range_high,
           visit_occurrence_id = n.visit_occurrence_id,
           measurement_source_value = n.measurement_source_value,
           measurement_source_concept_id = n.measurement_source_concept_id,
           unit_source_value = n.unit_source_value, value_source_value = n.value_source_value,
           measurement_event_id = n.measurement_event_id,
           meas_event_field_concept_id = n.meas_event_field_concept_id
      FROM new_measurement n
      JOIN @cdm.measurement o ON o.measurement_id = n.measurement_id  -- the row before
     WHERE n.old_state = 'loaded' AND t.measurement_id = n.measurement_id
    RETURNING t.measurement_id, t.person_id, t.measurement_date,
              o.person_id AS old_person_id, o.measurement_date AS old_date
), moved AS (
    INSERT INTO event_date
    SELECT v.person_id, v.day, v.day, v.removed
      FROM updated u,
           LATERAL (VALUES (u.old_person_id, u.old_date, true),
                           (u.person_id, u.measurement_date, false)) v(person_id, day, removed)
     WHERE (u.person_id, u.measurement_date) IS DISTINCT FROM (u.old_person_id, u.old_date)
)
INSERT INTO kept_measurement SELECT measurement_id FROM updated;

ANALYZE kept_measurement;
