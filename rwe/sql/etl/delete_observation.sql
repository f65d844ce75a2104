-- Remove the OBSERVATION rows of resources replaced, excluded or deleted in this run
-- (ids key * 1000 .. key * 1000 + 999 belong to resource key).
DELETE FROM @cdm.observation t
 USING changed_key c
 WHERE t.observation_id >= c.resource_key * 1000 AND t.observation_id < c.resource_key * 1000 + 1000;
