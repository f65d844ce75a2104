-- Events that pointed to a visit removed in this run lose the link (the rows stay).
CREATE TEMP TABLE gone_visit ON COMMIT DROP AS
SELECT c.resource_key * 1000 AS visit_occurrence_id FROM changed_key c
 WHERE c.resource_type = 'Encounter'
   AND NOT EXISTS (SELECT 1 FROM @cdm.visit_occurrence v
                    WHERE v.visit_occurrence_id = c.resource_key * 1000);
UPDATE @cdm.measurement t SET visit_occurrence_id = NULL FROM gone_visit g
 WHERE t.visit_occurrence_id = g.visit_occurrence_id;
UPDATE @cdm.observation t SET visit_occurrence_id = NULL FROM gone_visit g
 WHERE t.visit_occurrence_id = g.visit_occurrence_id;
UPDATE @cdm.condition_occurrence t SET visit_occurrence_id = NULL FROM gone_visit g
 WHERE t.visit_occurrence_id = g.visit_occurrence_id;
UPDATE @cdm.drug_exposure t SET visit_occurrence_id = NULL FROM gone_visit g
 WHERE t.visit_occurrence_id = g.visit_occurrence_id;
UPDATE @cdm.procedure_occurrence t SET visit_occurrence_id = NULL FROM gone_visit g
 WHERE t.visit_occurrence_id = g.visit_occurrence_id;
