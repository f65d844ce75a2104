-- Room in each page of the id map for the versions a nightly run writes: a resource's row is
-- updated in place of its page (a HOT update: none of the three indexes is touched, as no
-- indexed column changes) instead of on a new page with a new entry in every index. New pages
-- only: an id map loaded before keeps its packing until it is rewritten (VACUUM FULL).
ALTER TABLE @rwe.fhir_resource SET (fillfactor = 90);
