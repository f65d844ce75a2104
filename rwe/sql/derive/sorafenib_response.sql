-- RECIST 1.1 response per person with an index date (MEASUREMENT @recist_response_concepts,
-- value_as_concept_id in concept set recist_value). Assessments count when dated after the
-- index and on or before the cutoff.
-- The episode window: (index, end of the first episode]; an episode still running at the cutoff
-- (its end after the cutoff, or its last exposure without a stop reason ending less than
-- @persistence_window_days before the cutoff: the same rule as on_treatment_at_cutoff in
-- sorafenib_outcome, death aside) ends at the cutoff.
-- Best overall response (BOR, "over the episode"): best of CR > PR > SD > PD > NE among the
-- assessments in the episode window, up to and including the first PD (RECIST 1.1: later
-- assessments do not count; no confirmation of CR/PR is required). ORR: BOR CR or PR. DCR: BOR
-- CR, PR or SD (paper 000). CBR: BOR CR or PR, or SD lasting >= @cbr_min_sd_days (paper 004,
-- "> 6 months"), where SD lasts from the index to the first PD, or to the last SD assessment
-- of the BOR window when no PD was seen (RECIST duration of SD).
-- first_progression_date (any PD after index, even after the treatment stopped) and
-- last_assessment_date (the last adequate assessment: CR, PR, SD or PD; NE does not count,
-- RECIST 1.1) feed PFS in sorafenib_outcome; assessment_count counts all, NE included.
-- Tumor shrinkage (paper 000, on treatment): baseline = the sum of target-lesion diameters
-- nearest before the index in [index - @tumor_baseline_window_days, index]; nadir = the
-- smallest sum in the episode window (no PD limit);
-- max_tumor_shrinkage_pct = (baseline - nadir) / baseline * 100 (negative = growth only).
DELETE FROM @study.sorafenib_response
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.sorafenib_response (
    person_id, index_date, assessment_count, last_assessment_date, first_progression_date,
    best_overall_response, stable_disease_days, orr, dcr, cbr, baseline_sld, nadir_sld,
    max_tumor_shrinkage_pct
)
WITH cohort AS (
    SELECT
        e.person_id,
        e.episode_start_date AS index_date,
        CASE WHEN e.episode_end_date > @cutoff_date
                  OR (e.stop_reason IS NULL
                      AND e.episode_end_date + @persistence_window_days > @cutoff_date)
             THEN @cutoff_date
             ELSE e.episode_end_date
        END AS treatment_window_end
    FROM @study.sorafenib_episode e
    WHERE e.episode_number = 1
      AND (@full_or e.person_id IN (SELECT person_id FROM derive_scope))
),
assessment AS (
    SELECT c.person_id, m.measurement_date, v.label AS response, v.rank
    FROM cohort c
    JOIN @cdm.measurement m
      ON m.person_id = c.person_id
     AND m.measurement_concept_id = ANY (@recist_response_concepts)
     AND m.measurement_date > c.index_date
     AND m.measurement_date <= @cutoff_date
    JOIN @study.concept_set v
      ON v.set_name = 'recist_value' AND v.concept_id = m.value_as_concept_id
),
summary AS (
    SELECT
        person_id,
        count(*) AS assessment_count,
        max(measurement_date) FILTER (WHERE response <> 'NE') AS last_assessment_date,
        min(measurement_date) FILTER (WHERE response = 'PD') AS first_progression_date
    FROM assessment
    GROUP BY person_id
),
bor_window AS (
    SELECT a.person_id, a.measurement_date, a.response, a.rank
    FROM assessment a
    JOIN cohort c ON c.person_id = a.person_id
    LEFT JOIN summary s ON s.person_id = a.person_id
    WHERE a.measurement_date <= LEAST(c.treatment_window_end,
                                      COALESCE(s.first_progression_date, 'infinity'::date))
),
bor AS (
    SELECT
        person_id,
        (array_agg(response ORDER BY rank, measurement_date))[1] AS best_overall_response,
        max(measurement_date) FILTER (WHERE response = 'SD') AS last_sd_date
    FROM bor_window
    GROUP BY person_id
),
sld AS (
    SELECT c.person_id, c.index_date, c.treatment_window_end, m.measurement_date,
           m.measurement_datetime, m.measurement_id, m.value_as_number
    FROM cohort c
    JOIN @cdm.measurement m
      ON m.person_id = c.person_id
     AND m.measurement_concept_id = ANY (@target_lesion_sum_concepts)
     AND m.measurement_date >= c.index_date - @tumor_baseline_window_days
     AND m.measurement_date <= c.treatment_window_end
     AND m.value_as_number IS NOT NULL
),
tumor AS (
    SELECT
        person_id,
        (array_agg(value_as_number ORDER BY measurement_date DESC, measurement_datetime DESC,
                   measurement_id DESC) FILTER (WHERE measurement_date <= index_date))[1]
            AS baseline_sld,
        min(value_as_number) FILTER (WHERE measurement_date > index_date) AS nadir_sld
    FROM sld
    GROUP BY person_id
),
combined AS (
    SELECT
        c.person_id,
        c.index_date,
        COALESCE(s.assessment_count, 0) AS assessment_count,
        s.last_assessment_date,
        s.first_progression_date,
        b.best_overall_response,
        CASE WHEN b.best_overall_response = 'SD'
             THEN COALESCE(s.first_progression_date, b.last_sd_date) - c.index_date
        END AS stable_disease_days,
        t.baseline_sld,
        t.nadir_sld
    FROM cohort c
    LEFT JOIN summary s ON s.person_id = c.person_id
    LEFT JOIN bor b ON b.person_id = c.person_id
    LEFT JOIN tumor t ON t.person_id = c.person_id
)
SELECT
    person_id,
    index_date,
    assessment_count,
    last_assessment_date,
    first_progression_date,
    best_overall_response,
    stable_disease_days,
    COALESCE(best_overall_response IN ('CR', 'PR'), FALSE),
    COALESCE(best_overall_response IN ('CR', 'PR', 'SD'), FALSE),
    COALESCE(best_overall_response IN ('CR', 'PR')
             OR (best_overall_response = 'SD' AND stable_disease_days >= @cbr_min_sd_days),
             FALSE),
    baseline_sld,
    nadir_sld,
    (baseline_sld - nadir_sld) / NULLIF(baseline_sld, 0) * 100
FROM combined;
