-- DEATH rows of Patients replaced, excluded or deleted in this run.
DELETE FROM @cdm.death d USING changed_key c
 WHERE c.resource_type = 'Patient' AND d.person_id = c.resource_key * 1000;
