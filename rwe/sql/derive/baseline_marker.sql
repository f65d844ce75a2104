-- Baseline blood markers (paper 004): for each person with an index date (first sorafenib
-- episode start), the blood counts of one draw in [index - @baseline_window_days, index].
-- A draw is one person's measurements with the same measurement_datetime (the date when the
-- datetime is missing). Counts are converted to cells/uL by the unit factors of concept set
-- count_unit; percentages (unit 8554) become counts with the same draw's WBC; an absolute count
-- wins over a percentage, then the concept's rank, then the lowest measurement_id. A value
-- with another unit, or without a value, is not used.
-- Choice of the draw ("nearest complete blood count"): complete draws (lymphocytes,
-- neutrophils, monocytes and platelets all known) first, then the nearest day to the index,
-- then the later datetime; without a complete draw the nearest partial one gives what it can.
-- The per-person lookup is a LATERAL index range scan on
-- idx_measurement_person_concept_date (migration 0010).
DELETE FROM @study.baseline_marker
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.baseline_marker (
    person_id, index_date, draw_datetime, draw_date, days_before_index, complete,
    candidate_draws, wbc, alc, anc, amc, platelets, nlr, plr, lmr
)
WITH cohort AS (
    SELECT e.person_id, e.episode_start_date AS index_date
    FROM @study.sorafenib_episode e
    WHERE e.episode_number = 1
      AND (@full_or e.person_id IN (SELECT person_id FROM derive_scope))
),
measured AS (
    SELECT
        c.person_id,
        c.index_date,
        m.draw_datetime,
        m.measurement_date,
        m.measurement_id,
        analyte.label,
        analyte.rank,
        analyte.set_name LIKE '%\_percent' AS is_percent,
        m.value_as_number * unit.factor AS value  -- cells/uL, or a fraction for percentages
    FROM cohort c
    CROSS JOIN LATERAL (
        SELECT
            mm.measurement_id,
            mm.measurement_concept_id,
            mm.measurement_date,
            COALESCE(mm.measurement_datetime, mm.measurement_date::timestamp) AS draw_datetime,
            mm.value_as_number,
            mm.unit_concept_id
        FROM @cdm.measurement mm
        WHERE mm.person_id = c.person_id
          AND mm.measurement_concept_id = ANY (@blood_count_concepts)
          AND mm.measurement_date BETWEEN c.index_date - @baseline_window_days AND c.index_date
          AND mm.value_as_number IS NOT NULL
    ) m
    JOIN @study.concept_set analyte
      ON analyte.concept_id = m.measurement_concept_id
     AND analyte.set_name IN ('wbc', 'lymphocyte_count', 'neutrophil_count', 'monocyte_count',
                              'platelet_count', 'lymphocyte_percent', 'neutrophil_percent',
                              'monocyte_percent')
    JOIN @study.concept_set unit
      ON unit.concept_id = m.unit_concept_id
     AND unit.set_name = CASE WHEN analyte.set_name LIKE '%\_percent' THEN 'percent_unit'
                              ELSE 'count_unit' END
),
draw AS (
    SELECT
        person_id,
        index_date,
        draw_datetime,
        max(measurement_date) AS draw_date,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'wbc'))[1] AS wbc,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'platelet'))[1] AS platelets,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'lymphocyte' AND NOT is_percent))[1] AS lymphocyte_count,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'lymphocyte' AND is_percent))[1] AS lymphocyte_fraction,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'neutrophil' AND NOT is_percent))[1] AS neutrophil_count,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'neutrophil' AND is_percent))[1] AS neutrophil_fraction,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'monocyte' AND NOT is_percent))[1] AS monocyte_count,
        (array_agg(value ORDER BY rank, measurement_id)
            FILTER (WHERE label = 'monocyte' AND is_percent))[1] AS monocyte_fraction
    FROM measured
    GROUP BY person_id, index_date, draw_datetime
),
counted AS (
    SELECT
        person_id,
        index_date,
        draw_datetime,
        draw_date,
        wbc,
        platelets,
        COALESCE(lymphocyte_count, lymphocyte_fraction * wbc) AS alc,
        COALESCE(neutrophil_count, neutrophil_fraction * wbc) AS anc,
        COALESCE(monocyte_count, monocyte_fraction * wbc) AS amc
    FROM draw
),
ranked AS (
    SELECT
        c.*,
        (c.alc IS NOT NULL AND c.anc IS NOT NULL AND c.amc IS NOT NULL
            AND c.platelets IS NOT NULL) AS complete,
        count(*) OVER (PARTITION BY c.person_id) AS candidate_draws,
        row_number() OVER (
            PARTITION BY c.person_id
            ORDER BY (c.alc IS NOT NULL AND c.anc IS NOT NULL AND c.amc IS NOT NULL
                          AND c.platelets IS NOT NULL) DESC,
                     c.draw_date DESC,
                     c.draw_datetime DESC
        ) AS choice
    FROM counted c
    WHERE c.alc IS NOT NULL OR c.anc IS NOT NULL OR c.amc IS NOT NULL
       OR c.platelets IS NOT NULL
)
SELECT
    c.person_id,
    c.index_date,
    r.draw_datetime,
    r.draw_date,
    c.index_date - r.draw_date,
    COALESCE(r.complete, FALSE),
    COALESCE(r.candidate_draws, 0),
    r.wbc,
    r.alc,
    r.anc,
    r.amc,
    r.platelets,
    r.anc / NULLIF(r.alc, 0),
    r.platelets / NULLIF(r.alc, 0),
    r.alc / NULLIF(r.amc, 0)
FROM cohort c
LEFT JOIN ranked r ON r.person_id = c.person_id AND r.choice = 1;
