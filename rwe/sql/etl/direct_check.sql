-- The first-load direct path's checks (rwe/etl/direct.py), after resolve: staged occurrences
-- that are another version (or a deletion) of a direct resource (the id map was empty
-- before the run, so any match is one; candidate.sql did not look them up), and the staged
-- Patients/Encounters direct rows point to that the merge does not load.
SELECT (SELECT count(*) FROM candidate c JOIN @rwe.fhir_resource f
           ON f.resource_type = c.resource_type AND f.fhir_id = c.fhir_id
        WHERE c.resource_type IN (@direct_types)),  -- the only types in the id map yet
       (SELECT count(*) FROM direct_depends d LEFT JOIN winner w ON w.occ = d.occ
         WHERE w.occ IS NULL OR w.outcome <> 'apply' OR w.action <> 'loaded');
