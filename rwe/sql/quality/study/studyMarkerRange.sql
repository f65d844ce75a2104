-- Study gate (sorafenib): baseline markers outside their physiological range, over the
-- derivation's study.baseline_marker (one row per person, one column per marker).
SELECT count(*) FILTER (
           WHERE v.value_as_number < lim.low OR v.value_as_number > lim.high
       ) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
CROSS JOIN LATERAL (VALUES ('alc', t.alc), ('anc', t.anc), ('amc', t.amc),
                           ('platelets', t.platelets), ('nlr', t.nlr), ('plr', t.plr),
                           ('lmr', t.lmr)) AS v (marker, value_as_number)
JOIN (VALUES @ranges) AS lim (marker, low, high) ON lim.marker = v.marker
WHERE v.value_as_number IS NOT NULL
