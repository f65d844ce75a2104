-- DQD isPrimaryKey: rows whose primary key value occurs more than once.
SELECT coalesce(sum(n) FILTER (WHERE n > 1), 0) AS num_violated_rows,
       coalesce(sum(n), 0) AS num_denominator_rows
FROM (SELECT count(*) AS n FROM batch_rows GROUP BY @field) AS keys
