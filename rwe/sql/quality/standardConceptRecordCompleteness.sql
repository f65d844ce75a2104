-- DQD standardConceptRecordCompleteness: rows whose concept is 0 (no standard concept found),
-- among the rows where the field applies (@where; a unit only where there is a value).
SELECT count(*) FILTER (WHERE @field = 0 OR @field IS NULL) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows
WHERE @where
