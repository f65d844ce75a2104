-- DQD plausibleValueLow per lab concept and unit: values below the unit's low limit. Rows in
-- units without a range are left to plausibleUnitConceptIds.
SELECT count(*) FILTER (WHERE t.value_as_number < lim.low) AS num_violated_rows,
       count(*) AS num_denominator_rows
FROM batch_rows AS t
JOIN (VALUES @ranges) AS lim (unit_concept_id, low, high)
  ON lim.unit_concept_id = t.unit_concept_id
WHERE t.measurement_concept_id = @concept_id AND t.value_as_number IS NOT NULL
