-- Study gate (sorafenib): baseline markers outside their physiological range. The study table's
-- name and columns (study.baseline_marker: person_id, marker, value_as_number) are assumptions
-- about the derivation's output: adapt them here.
SELECT count(*) FILTER (
           WHERE t.value_as_number < lim.low OR t.value_as_number > lim.high
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
JOIN (VALUES @ranges) AS lim (marker, low, high) ON lim.marker = lower(t.marker)
WHERE t.value_as_number IS NOT NULL
