-- DRUG_ERA by OHDSI's algorithm (ETL-CMS create_CDMv5_drug_era_non_stockpile.sql, also used by
-- ETL-Synthea): ingredients through CONCEPT_ANCESTOR (RxNorm, class Ingredient); end date =
-- drug_exposure_end_date, else start + days_supply (days_supply 0 counts as missing), else
-- start + 1 day; overlapping exposures first merge into sub-exposures, sub-exposures then merge
-- when the next starts at most @era_persistence_days after the previous end; gap_days = era
-- length - days covered by sub-exposures. OHDSI finds island ends by counting start/end
-- events; a running maximum of the end dates finds the same islands (a start on the day a
-- padded end falls joins the island, as OHDSI's start-before-end ordering does) in one sort.
DELETE FROM @cdm.drug_era
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @cdm.drug_era (
    drug_era_id, person_id, drug_concept_id, drug_era_start_date, drug_era_end_date,
    drug_exposure_count, gap_days
)
WITH target AS (
    SELECT
        d.person_id,
        c.concept_id AS ingredient_concept_id,
        d.drug_exposure_start_date AS start_date,
        COALESCE(
            d.drug_exposure_end_date,
            NULLIF(d.drug_exposure_start_date + d.days_supply, d.drug_exposure_start_date),
            d.drug_exposure_start_date + 1
        ) AS end_date
    FROM @cdm.drug_exposure d
    JOIN @cdm.concept_ancestor ca ON ca.descendant_concept_id = d.drug_concept_id
    JOIN @cdm.concept c ON c.concept_id = ca.ancestor_concept_id
    WHERE c.vocabulary_id = 'RxNorm'
      AND c.concept_class_id = 'Ingredient'
      AND d.drug_concept_id <> 0  -- unmapped drugs must not merge into one era
      AND COALESCE(d.days_supply, 0) >= 0  -- negative supply would end before the start
      AND (@full_or d.person_id IN (SELECT person_id FROM derive_scope))
),
sub_flagged AS (
    SELECT
        t.*,
        CASE WHEN t.start_date <= max(t.end_date) OVER (
            PARTITION BY t.person_id, t.ingredient_concept_id
            ORDER BY t.start_date, t.end_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) THEN 0 ELSE 1 END AS starts_sub
    FROM target t
),
sub_numbered AS (
    SELECT
        f.*,
        sum(f.starts_sub) OVER (
            PARTITION BY f.person_id, f.ingredient_concept_id
            ORDER BY f.start_date, f.end_date
            ROWS UNBOUNDED PRECEDING
        ) AS sub_number
    FROM sub_flagged f
),
sub_exposure AS (
    SELECT
        person_id,
        ingredient_concept_id,
        min(start_date) AS start_date,
        max(end_date) AS end_date,
        count(*) AS exposure_count
    FROM sub_numbered
    GROUP BY person_id, ingredient_concept_id, sub_number
),
era_flagged AS (
    SELECT
        s.*,
        CASE WHEN s.start_date <= max(s.end_date + @era_persistence_days) OVER (
            PARTITION BY s.person_id, s.ingredient_concept_id
            ORDER BY s.start_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) THEN 0 ELSE 1 END AS starts_era
    FROM sub_exposure s
),
era_numbered AS (
    SELECT
        f.*,
        sum(f.starts_era) OVER (
            PARTITION BY f.person_id, f.ingredient_concept_id
            ORDER BY f.start_date
            ROWS UNBOUNDED PRECEDING
        ) AS era_number
    FROM era_flagged f
)
SELECT
    nextval('@rwe.drug_era_id_seq'),
    person_id,
    ingredient_concept_id,
    min(start_date),
    max(end_date),
    sum(exposure_count),
    (max(end_date) - min(start_date)) - sum(end_date - start_date)
FROM era_numbered
GROUP BY person_id, ingredient_concept_id, era_number;
