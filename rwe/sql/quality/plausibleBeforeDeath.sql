-- DQD plausibleBeforeDeath (Cumulus: date within lifetime): events dated more than 60 days after
-- death (DQD allows 60 days for late-recorded data).
SELECT count(*) FILTER (WHERE t.@field > d.death_date + 60) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
LEFT JOIN (SELECT person_id, min(death_date) AS death_date FROM @cdm.death GROUP BY person_id) AS d
  ON d.person_id = t.person_id
WHERE t.@field IS NOT NULL
