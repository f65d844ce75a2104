-- Remove the DRUG_EXPOSURE rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key).
DELETE FROM @cdm.drug_exposure t
 USING changed_key c
 WHERE t.drug_exposure_id >= c.resource_key * 1000 AND t.drug_exposure_id < c.resource_key * 1000 + 1000;
