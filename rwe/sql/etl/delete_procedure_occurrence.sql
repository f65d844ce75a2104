-- Remove the PROCEDURE_OCCURRENCE rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key).
-- Their dates go to event_date (changed_key.sql) for the observation period.
WITH gone AS (
    DELETE FROM @cdm.procedure_occurrence t
     USING changed_key c
     WHERE t.procedure_occurrence_id >= c.resource_key * 1000 AND t.procedure_occurrence_id < c.resource_key * 1000 + 1000
    RETURNING t.person_id,
              t.procedure_date AS first_date,
              greatest(t.procedure_date, t.procedure_end_date) AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, true FROM gone;
