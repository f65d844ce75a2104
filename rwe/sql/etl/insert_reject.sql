-- The run's rejects: read/transform rejects, then reference rejects found when merging.
INSERT INTO @rwe.reject (run_id, source_file, line, resource_type, resource_id, reason, detail)
SELECT @run_id, f.name, r.line, r.resource_type, r.resource_id, r.reason, r.detail
  FROM stg_reject r JOIN stg_file f ON f.file_no = r.file_no;
INSERT INTO @rwe.reject (run_id, source_file, line, resource_type, resource_id, reason, detail)
SELECT @run_id, f.name, w.line, w.resource_type, w.fhir_id, w.reason, NULL
  FROM winner w JOIN stg_file f ON f.file_no = w.file_no
 WHERE w.outcome = 'rejected';
