-- CONDITION_ERA by OHDSI's algorithm (ETL-CMS create_CDMv5_condition_era.sql, also used by
-- ETL-Synthea): end date = condition_end_date, else start + 1 day; occurrences of the same
-- concept merge when the next starts at most @era_persistence_days after the previous end
-- (padded end events sort after start events on the same day, so exactly 30 days merges);
-- condition_occurrence_count = occurrences in the era. Concept 0 is kept, as OHDSI's script
-- leaves its `condition_concept_id != 0` filter commented out. Islands come from a running
-- maximum of the padded end dates, which yields OHDSI's start/end event-count islands.
DELETE FROM @cdm.condition_era
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @cdm.condition_era (
    condition_era_id, person_id, condition_concept_id, condition_era_start_date,
    condition_era_end_date, condition_occurrence_count
)
WITH target AS (
    SELECT
        co.person_id,
        co.condition_concept_id,
        co.condition_start_date AS start_date,
        COALESCE(co.condition_end_date, co.condition_start_date + 1) AS end_date
    FROM @cdm.condition_occurrence co
    WHERE (@full_or co.person_id IN (SELECT person_id FROM derive_scope))
),
flagged AS (
    SELECT
        t.*,
        CASE WHEN t.start_date <= max(t.end_date + @era_persistence_days) OVER (
            PARTITION BY t.person_id, t.condition_concept_id
            ORDER BY t.start_date, t.end_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) THEN 0 ELSE 1 END AS starts_era
    FROM target t
),
numbered AS (
    SELECT
        f.*,
        sum(f.starts_era) OVER (
            PARTITION BY f.person_id, f.condition_concept_id
            ORDER BY f.start_date, f.end_date
            ROWS UNBOUNDED PRECEDING
        ) AS era_number
    FROM flagged f
)
SELECT
    nextval('@rwe.condition_era_id_seq'),
    person_id,
    condition_concept_id,
    min(start_date),
    max(end_date),
    count(*)
FROM numbered
GROUP BY person_id, condition_concept_id, era_number;
