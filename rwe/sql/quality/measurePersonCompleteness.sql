-- DQD measurePersonCompleteness: persons without any row in the table (one scan of it: the
-- distinct person ids are hashed, never a 10 M-row anti-join).
SELECT count(*) FILTER (WHERE e.person_id IS NULL) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM @cdm.person AS p
LEFT JOIN (SELECT DISTINCT person_id FROM batch_rows) AS e ON e.person_id = p.person_id
