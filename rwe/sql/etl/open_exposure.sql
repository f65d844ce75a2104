-- Ongoing exposures (rwe/etl/transform/drug.py ongoing_end: a MedicationStatement without an
-- end ends on the input's data date, verbatim_end_date NULL) stay ongoing on later nights:
-- a run that does not re-send the statement moves its imputed end to the run's data date,
-- as a fresh load of the same state would write it. Rows replaced since (another end) leave.
DELETE FROM @rwe.open_exposure o
WHERE NOT EXISTS (
    SELECT 1 FROM @cdm.drug_exposure d
    WHERE d.drug_exposure_id = o.drug_exposure_id
      AND d.drug_exposure_end_date = o.imputed_end
      AND d.verbatim_end_date IS NULL
);
UPDATE @cdm.drug_exposure d
SET drug_exposure_end_date = @data_date
FROM @rwe.open_exposure o
WHERE d.drug_exposure_id = o.drug_exposure_id
  AND o.imputed_end < @data_date;
UPDATE @rwe.open_exposure SET imputed_end = @data_date WHERE imputed_end < @data_date;
-- New ongoing exposures of this run: imputed end = this data date, after the start (a
-- statement with no end that is not ongoing ends on its start), MedicationStatement types.
INSERT INTO @rwe.open_exposure (drug_exposure_id, imputed_end)
SELECT d.drug_exposure_id, d.drug_exposure_end_date
FROM @cdm.drug_exposure d
WHERE d.verbatim_end_date IS NULL
  AND d.drug_exposure_end_date = @data_date
  AND d.drug_exposure_end_date > d.drug_exposure_start_date
  AND d.drug_type_concept_id IN (32817, 32865)
ON CONFLICT (drug_exposure_id) DO NOTHING;
