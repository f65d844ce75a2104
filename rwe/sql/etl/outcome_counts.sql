-- What happened to the staged resources, for the run report.
SELECT resource_type, action, outcome, coalesce(reason, ''), count(*)
  FROM winner GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
