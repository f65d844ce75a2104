-- Adverse events (Table III): occurrences of the terms in concept sets adverse_event
-- (CONDITION_OCCURRENCE) and adverse_event_observation (OBSERVATION) with onset from the index
-- to the end of the last episode + @ae_window_days, on or before the cutoff. One row per person
-- and term; max_grade is the highest CTCAE grade (OBSERVATION @ctcae_grade_concepts,
-- value_as_number) linked to any of its occurrences through observation_event_id: to a
-- condition_occurrence_id when obs_event_field_concept_id is in concept set
-- grade_event_field, otherwise to an observation_id.
DELETE FROM @study.sorafenib_adverse_event
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.sorafenib_adverse_event (
    person_id, term, first_onset_date, occurrence_count, max_grade
)
WITH cohort AS (
    SELECT
        e.person_id,
        min(e.episode_start_date) AS index_date,
        LEAST(max(e.episode_end_date) + @ae_window_days, @cutoff_date) AS window_end
    FROM @study.sorafenib_episode e
    WHERE (@full_or e.person_id IN (SELECT person_id FROM derive_scope))
    GROUP BY e.person_id
),
grade AS (
    SELECT
        g.person_id,
        g.observation_event_id AS event_id,
        COALESCE(g.obs_event_field_concept_id IN (
            SELECT concept_id FROM @study.concept_set WHERE set_name = 'grade_event_field'
        ), FALSE) AS of_condition,
        max(g.value_as_number)::integer AS grade
    FROM @cdm.observation g
    JOIN cohort c ON c.person_id = g.person_id
    WHERE g.observation_concept_id = ANY (@ctcae_grade_concepts)
      AND g.observation_event_id IS NOT NULL
    GROUP BY 1, 2, 3
),
occurrence AS (
    SELECT co.person_id, t.label AS term, co.condition_start_date AS onset_date,
           gr.grade
    FROM cohort c
    JOIN @cdm.condition_occurrence co
      ON co.person_id = c.person_id
     AND co.condition_start_date BETWEEN c.index_date AND c.window_end
    JOIN @study.concept_set t
      ON t.set_name = 'adverse_event' AND t.concept_id = co.condition_concept_id
    LEFT JOIN grade gr
      ON gr.person_id = co.person_id AND gr.event_id = co.condition_occurrence_id
     AND gr.of_condition
    UNION ALL
    SELECT o.person_id, t.label, o.observation_date, gr.grade
    FROM cohort c
    JOIN @cdm.observation o
      ON o.person_id = c.person_id
     AND o.observation_date BETWEEN c.index_date AND c.window_end
    JOIN @study.concept_set t
      ON t.set_name = 'adverse_event_observation' AND t.concept_id = o.observation_concept_id
    LEFT JOIN grade gr
      ON gr.person_id = o.person_id AND gr.event_id = o.observation_id
     AND NOT gr.of_condition
)
SELECT person_id, term, min(onset_date), count(*), max(grade)
FROM occurrence
GROUP BY person_id, term;
