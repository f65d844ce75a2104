-- DQD plausibleAfterBirth (Cumulus: date within lifetime): events dated before birth; birth is
-- birth_datetime, else the first day of the month/year of birth that PERSON holds.
SELECT count(*) FILTER (
           WHERE t.@field < coalesce(p.birth_datetime::date,
                                     make_date(p.year_of_birth, coalesce(p.month_of_birth, 1),
                                               coalesce(p.day_of_birth, 1)))
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
JOIN @cdm.person AS p ON p.person_id = t.person_id
WHERE t.@field IS NOT NULL
