-- Study gate (sorafenib): treatment episodes that ended (not censored at the data cutoff) without
-- a stop reason. The study table's name and columns (study.treatment_episode: stop_reason,
-- censored) are assumptions about the derivation's output: adapt them here.
SELECT count(*) FILTER (WHERE nullif(trim(stop_reason), '') IS NULL) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows
WHERE NOT coalesce(censored, false)
