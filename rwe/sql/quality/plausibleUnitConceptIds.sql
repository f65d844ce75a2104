-- DQD plausibleUnitConceptIds: numeric results of lab @concept_id whose unit is not one DQD
-- lists for it (a missing unit counts as implausible).
SELECT count(*) FILTER (
           WHERE unit_concept_id IS NULL OR unit_concept_id NOT IN (@units)
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows
WHERE measurement_concept_id = @concept_id AND value_as_number IS NOT NULL
