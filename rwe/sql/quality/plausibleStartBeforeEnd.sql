-- DQD plausibleStartBeforeEnd: start date after end date (rows with an end date).
SELECT count(*) FILTER (WHERE @field > @value) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows
WHERE @value IS NOT NULL
