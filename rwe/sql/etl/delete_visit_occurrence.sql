-- Remove the VISIT_OCCURRENCE rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key).
DELETE FROM @cdm.visit_occurrence t
 USING changed_key c
 WHERE t.visit_occurrence_id >= c.resource_key * 1000 AND t.visit_occurrence_id < c.resource_key * 1000 + 1000;
