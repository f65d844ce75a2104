-- How many OMOP event rows (ids resource_key * 1000 + row_index) each loaded resource has, so
-- a nightly run knows when it rewrote all of a changed resource's rows in place and need not
-- look for rows to delete (rwe/sql/etl/rewritten_key.sql). NULL for versions loaded before
-- this migration (not known: their rows are looked for as before) and for resources that are
-- not loaded. A new column without a default: no table rewrite.
ALTER TABLE @rwe.fhir_resource ADD COLUMN row_count smallint;
