-- Changed resources whose every event row update_measurement.sql rewrote in place (a lab value
-- corrected) have no row left to delete: they leave changed_key, so the delete steps do not
-- look for their ids in each event table's index (one probe per resource and table otherwise,
-- most of a nightly increment's delete time). The id map counts each loaded version's rows
-- (fhir_resource.row_count, migration 0008); where it does not (NULL: loaded before that
-- migration), the resource stays and its rows are looked for as before.
DELETE FROM changed_key c
 USING (SELECT measurement_id / 1000 AS resource_key, count(*) AS kept
          FROM kept_measurement GROUP BY 1) k
 WHERE c.resource_key = k.resource_key AND c.row_count = k.kept;
