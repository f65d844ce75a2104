-- The id map's keys compare byte by byte (COLLATE "C"), whatever the database's locale: FHIR
-- ids ([A-Za-z0-9-.]{1,64}) and resource type names have no linguistic order, and a byte
-- comparison is cheaper than a locale's for the unique index every resource goes through
-- (a first load inserts into it once per resource, a nightly increment probes it once per
-- resource). Equality is unchanged (both are deterministic); the index is rebuilt.
ALTER TABLE @rwe.fhir_resource
    ALTER COLUMN resource_type TYPE TEXT COLLATE "C",
    ALTER COLUMN fhir_id TYPE TEXT COLLATE "C";
