-- Remove the MEASUREMENT rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key), except those
-- update_measurement.sql rewrote in place.
-- Their dates go to event_date (changed_key.sql) for the observation period.
WITH gone AS (
    DELETE FROM @cdm.measurement t
     USING changed_key c
     WHERE t.measurement_id >= c.resource_key * 1000 AND t.measurement_id < c.resource_key * 1000 + 1000
       AND NOT EXISTS (SELECT 1 FROM kept_measurement k WHERE k.measurement_id = t.measurement_id)
    RETURNING t.person_id,
              t.measurement_date AS first_date,
              t.measurement_date AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, true FROM gone;
