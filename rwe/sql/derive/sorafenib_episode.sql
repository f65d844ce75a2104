-- Treatment episodes of the study ingredient (@ingredient_concept_id, any product through
-- CONCEPT_ANCESTOR): exposures starting on or before the cutoff, end date by the OHDSI
-- drug_era rule, merged like DRUG_ERA but with the study's persistence window, so dose
-- interruptions shorter than the window do not end an episode. The stop reason is the one of
-- the last segment (latest end, then latest start, then highest id). Episode ends are not
-- capped at the cutoff here; sorafenib_outcome decides what was known at the cutoff.
DELETE FROM @study.sorafenib_episode
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.sorafenib_episode (
    person_id, episode_number, episode_start_date, episode_end_date, exposure_count, gap_days,
    stop_reason, last_drug_exposure_id
)
WITH exposure AS (
    SELECT
        d.person_id,
        d.drug_exposure_id,
        d.drug_exposure_start_date AS start_date,
        COALESCE(
            d.drug_exposure_end_date,
            NULLIF(d.drug_exposure_start_date + d.days_supply, d.drug_exposure_start_date),
            d.drug_exposure_start_date + 1
        ) AS end_date,
        NULLIF(lower(btrim(d.stop_reason)), '') AS stop_reason
    FROM @cdm.drug_exposure d
    WHERE d.drug_concept_id IN (
            SELECT ca.descendant_concept_id
            FROM @cdm.concept_ancestor ca
            WHERE ca.ancestor_concept_id = @ingredient_concept_id
        )
      AND COALESCE(d.days_supply, 0) >= 0
      AND d.drug_exposure_start_date <= @cutoff_date
      AND (@full_or d.person_id IN (SELECT person_id FROM derive_scope))
),
sub_numbered AS (
    SELECT
        f.*,
        sum(f.starts_sub) OVER (
            PARTITION BY f.person_id ORDER BY f.start_date, f.end_date, f.drug_exposure_id
            ROWS UNBOUNDED PRECEDING
        ) AS sub_number
    FROM (
        SELECT
            e.*,
            CASE WHEN e.start_date <= max(e.end_date) OVER (
                PARTITION BY e.person_id ORDER BY e.start_date, e.end_date, e.drug_exposure_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0 ELSE 1 END AS starts_sub
        FROM exposure e
    ) f
),
sub_exposure AS (
    SELECT
        person_id,
        min(start_date) AS start_date,
        max(end_date) AS end_date,
        count(*) AS exposure_count,
        (array_agg(stop_reason ORDER BY end_date DESC, start_date DESC, drug_exposure_id DESC))[1]
            AS stop_reason,
        (array_agg(drug_exposure_id ORDER BY end_date DESC, start_date DESC, drug_exposure_id DESC))[1]
            AS last_drug_exposure_id
    FROM sub_numbered
    GROUP BY person_id, sub_number
),
episode_numbered AS (
    SELECT
        f.*,
        sum(f.starts_episode) OVER (
            PARTITION BY f.person_id ORDER BY f.start_date ROWS UNBOUNDED PRECEDING
        ) AS episode_number
    FROM (
        SELECT
            s.*,
            CASE WHEN s.start_date <= max(s.end_date + @persistence_window_days) OVER (
                PARTITION BY s.person_id ORDER BY s.start_date
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0 ELSE 1 END AS starts_episode
        FROM sub_exposure s
    ) f
)
SELECT
    person_id,
    episode_number,
    min(start_date),
    max(end_date),
    sum(exposure_count),
    (max(end_date) - min(start_date)) - sum(end_date - start_date),
    (array_agg(stop_reason ORDER BY end_date DESC, start_date DESC))[1],
    (array_agg(last_drug_exposure_id ORDER BY end_date DESC, start_date DESC))[1]
FROM episode_numbered
GROUP BY person_id, episode_number;
