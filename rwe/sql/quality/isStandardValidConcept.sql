-- DQD isStandardValidConcept: concepts that are not standard ('S') or not valid; 0 and unknown ids
-- are left to standardConceptRecordCompleteness and isForeignKey. Local concepts (>= 2e9,
-- vocabulary rwe) count as standard when CONCEPT says so, like any other.
SELECT count(*) FILTER (
           WHERE c.concept_id IS NOT NULL
             AND (c.standard_concept IS DISTINCT FROM 'S' OR c.invalid_reason IS NOT NULL)
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
LEFT JOIN @cdm.concept AS c ON c.concept_id = t.@field AND t.@field <> 0
