-- Persons with no clinical event at all (Cumulus-style person completeness).
SELECT count(*) FILTER (WHERE e.person_id IS NULL) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS p
LEFT JOIN (
    SELECT person_id FROM @cdm.visit_occurrence
    UNION SELECT person_id FROM @cdm.condition_occurrence
    UNION SELECT person_id FROM @cdm.drug_exposure
    UNION SELECT person_id FROM @cdm.procedure_occurrence
    UNION SELECT person_id FROM @cdm.measurement
    UNION SELECT person_id FROM @cdm.observation
) AS e ON e.person_id = p.person_id
