-- Study gate (sorafenib): persons of the cohort (first exposure to the ingredient or any of its
-- descendants = index) without a blood count (WBC, lymphocytes, neutrophils, monocytes,
-- platelets, counts or percentages) in [index - @window_days days, index].
WITH exposure AS (
    SELECT t.person_id, t.drug_exposure_start_date
    FROM batch_rows AS t
    LEFT JOIN @cdm.concept_ancestor AS ca
      ON ca.descendant_concept_id = t.drug_concept_id
     AND ca.ancestor_concept_id = @ingredient_concept_id
    WHERE t.drug_concept_id = @ingredient_concept_id OR ca.ancestor_concept_id IS NOT NULL
),
cohort AS (
    SELECT person_id, min(drug_exposure_start_date) AS index_date FROM exposure GROUP BY person_id
)
SELECT count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM @cdm.measurement AS m
           WHERE m.person_id = c.person_id
             AND m.measurement_concept_id IN (3000905, 3010813, 3004327, 3019198, 3013650,
                                              3017732, 3033575, 3001604, 3024929, 3007461,
                                              3037511, 3002030, 3008342, 3018010, 3011948, 3019069)
             AND m.measurement_date BETWEEN c.index_date - @window_days AND c.index_date
       )) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM cohort AS c
