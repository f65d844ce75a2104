-- DQD fkDomain: concepts outside the field's domain ('@value'); 0 "No matching concept" and
-- ids missing from CONCEPT (isForeignKey's business) are not counted.
SELECT count(*) FILTER (WHERE c.domain_id <> '@value') AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
LEFT JOIN @cdm.concept AS c ON c.concept_id = t.@field AND t.@field <> 0
