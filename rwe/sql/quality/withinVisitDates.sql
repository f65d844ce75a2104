-- DQD withinVisitDates: events of a visit dated more than 7 days outside the visit's dates.
SELECT count(*) FILTER (
           WHERE t.@field < v.visit_start_date - 7 OR t.@field > v.visit_end_date + 7
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
JOIN @cdm.visit_occurrence AS v ON v.visit_occurrence_id = t.visit_occurrence_id
