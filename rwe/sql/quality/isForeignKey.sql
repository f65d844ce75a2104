-- DQD isForeignKey: a non-null foreign key without its row in @fk_table. Concept 0 ("No matching
-- concept", the CDM's value for unmapped codes) is standardConceptRecordCompleteness's business.
SELECT count(*) FILTER (
           WHERE t.@field IS NOT NULL AND r.@fk_field IS NULL
             AND NOT ('@fk_table' = 'concept' AND t.@field = 0)
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
LEFT JOIN @cdm.@fk_table AS r ON r.@fk_field = t.@field
