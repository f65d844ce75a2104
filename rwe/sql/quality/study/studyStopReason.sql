-- Study gate (sorafenib): treatment episodes that ended before the data cutoff (so were not
-- censored) without a stop reason, over the derivation's study.sorafenib_episode.
SELECT count(*) FILTER (WHERE nullif(trim(t.stop_reason), '') IS NULL) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
JOIN study.sorafenib_outcome AS o ON o.person_id = t.person_id
WHERE t.episode_end_date < o.cutoff_date
