-- Table I characteristics at treatment start, per person with an index date.
-- Age: whole years from the birth date (birth_datetime, else year/month/day with a missing
-- month or day taken as 1) to the index. Sex from gender_concept_id (8507 male, 8532 female).
-- ECOG: MEASUREMENT @ecog_concepts nearest to the index in [index - @baseline_window_days,
-- index] (later datetime, then higher id on ties).
-- Conditions recorded on or before index + @diagnosis_window_days count as present at start:
-- histology = the most specific thyroid-carcinoma concept (concept-set rank), then the most
-- recent, then the highest condition_occurrence_id; diagnosis = the most recent of locally
-- advanced / recurrence (recurrence on a tie); metastatic sites and symptoms = any record.
-- Anti-Tg antibody: the latest MEASUREMENT @anti_tg_concepts on or before index +
-- @diagnosis_window_days; positive when its value concept is in concept set positive_value or
-- its number exceeds range_high; NULL when never measured.
DELETE FROM @study.sorafenib_characteristic
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.sorafenib_characteristic (
    person_id, index_date, age_at_index, gender_concept_id, sex, ecog_baseline, diagnosis,
    histology_group, histology, histology_concept_id, metastasis_bone, metastasis_lung,
    metastasis_lymph_node, symptomatic, anti_tg_positive
)
WITH cohort AS (
    SELECT e.person_id, e.episode_start_date AS index_date,
           e.episode_start_date + @diagnosis_window_days AS known_by
    FROM @study.sorafenib_episode e
    WHERE e.episode_number = 1
      AND (@full_or e.person_id IN (SELECT person_id FROM derive_scope))
),
condition AS (
    SELECT c.person_id, cs.set_name, cs.label, cs.rank, co.condition_concept_id,
           co.condition_start_date, co.condition_occurrence_id
    FROM cohort c
    JOIN @cdm.condition_occurrence co
      ON co.person_id = c.person_id AND co.condition_start_date <= c.known_by
    JOIN @study.concept_set cs
      ON cs.concept_id = co.condition_concept_id
     AND cs.set_name IN ('histology_dtc', 'histology_mtc', 'histology_atc', 'metastasis',
                         'diagnosis', 'symptom')
),
histology AS (
    SELECT DISTINCT ON (person_id)
        person_id,
        upper(substr(set_name, length('histology_') + 1)) AS histology_group,
        label AS histology,
        condition_concept_id
    FROM condition
    WHERE set_name LIKE 'histology\_%'
    ORDER BY person_id, rank, condition_start_date DESC, condition_occurrence_id DESC
),
diagnosis AS (
    SELECT DISTINCT ON (person_id) person_id, label AS diagnosis
    FROM condition
    WHERE set_name = 'diagnosis'
    ORDER BY person_id, condition_start_date DESC, (label = 'recurrence') DESC
),
flags AS (
    SELECT
        person_id,
        bool_or(set_name = 'metastasis' AND label = 'bone') AS metastasis_bone,
        bool_or(set_name = 'metastasis' AND label = 'lung') AS metastasis_lung,
        bool_or(set_name = 'metastasis' AND label = 'lymph node') AS metastasis_lymph_node,
        bool_or(set_name = 'symptom') AS symptomatic
    FROM condition
    GROUP BY person_id
),
ecog AS (
    SELECT DISTINCT ON (c.person_id) c.person_id, m.value_as_number
    FROM cohort c
    JOIN @cdm.measurement m
      ON m.person_id = c.person_id
     AND m.measurement_concept_id = ANY (@ecog_concepts)
     AND m.measurement_date BETWEEN c.index_date - @baseline_window_days AND c.index_date
     AND m.value_as_number IS NOT NULL
    ORDER BY c.person_id, m.measurement_date DESC, m.measurement_datetime DESC NULLS LAST,
             m.measurement_id DESC
),
anti_tg AS (
    SELECT DISTINCT ON (c.person_id)
        c.person_id,
        (m.value_as_concept_id IN (
             SELECT concept_id FROM @study.concept_set WHERE set_name = 'positive_value')
         OR m.value_as_number > m.range_high) AS positive
    FROM cohort c
    JOIN @cdm.measurement m
      ON m.person_id = c.person_id
     AND m.measurement_concept_id = ANY (@anti_tg_concepts)
     AND m.measurement_date <= c.known_by
    ORDER BY c.person_id, m.measurement_date DESC, m.measurement_datetime DESC NULLS LAST,
             m.measurement_id DESC
)
SELECT
    c.person_id,
    c.index_date,
    extract(YEAR FROM age(c.index_date, COALESCE(
        p.birth_datetime::date,
        make_date(p.year_of_birth, COALESCE(p.month_of_birth, 1), COALESCE(p.day_of_birth, 1))
    )))::integer,
    COALESCE(p.gender_concept_id, 0),
    CASE p.gender_concept_id WHEN 8507 THEN 'male' WHEN 8532 THEN 'female' ELSE 'other' END,
    round(e.value_as_number)::integer,
    d.diagnosis,
    h.histology_group,
    h.histology,
    h.condition_concept_id,
    COALESCE(f.metastasis_bone, FALSE),
    COALESCE(f.metastasis_lung, FALSE),
    COALESCE(f.metastasis_lymph_node, FALSE),
    COALESCE(f.symptomatic, FALSE),
    COALESCE(a.positive, CASE WHEN a.person_id IS NOT NULL THEN FALSE END)
FROM cohort c
LEFT JOIN @cdm.person p ON p.person_id = c.person_id
LEFT JOIN histology h ON h.person_id = c.person_id
LEFT JOIN diagnosis d ON d.person_id = c.person_id
LEFT JOIN flags f ON f.person_id = c.person_id
LEFT JOIN ecog e ON e.person_id = c.person_id
LEFT JOIN anti_tg a ON a.person_id = c.person_id;
