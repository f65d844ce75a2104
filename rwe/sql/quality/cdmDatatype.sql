-- DQD cdmDatatype: *_id and *_concept_id columns are integers, *_date columns dates. PostgreSQL
-- enforces column types, so this compares the table's declared types (one row per column).
SELECT count(*) FILTER (WHERE NOT (
           (c.column_name LIKE '%\_date' AND c.data_type = 'date')
           OR (c.column_name LIKE '%\_id' AND c.data_type IN ('integer', 'bigint'))
       )) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM information_schema.columns AS c
WHERE c.table_schema = '@cdm' AND c.table_name = '@table'
  AND (c.column_name LIKE '%\_date' OR c.column_name LIKE '%\_id')
  AND EXISTS (SELECT 1 FROM batch_rows)
