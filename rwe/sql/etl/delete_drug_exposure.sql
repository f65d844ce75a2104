-- Remove the DRUG_EXPOSURE rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key).
-- Their dates go to event_date (changed_key.sql) for the observation period.
WITH gone AS (
    DELETE FROM @cdm.drug_exposure t
     USING changed_key c
     WHERE t.drug_exposure_id >= c.resource_key * 1000 AND t.drug_exposure_id < c.resource_key * 1000 + 1000
    RETURNING t.person_id,
              t.drug_exposure_start_date AS first_date,
              greatest(t.drug_exposure_start_date, t.verbatim_end_date) AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, true FROM gone;
