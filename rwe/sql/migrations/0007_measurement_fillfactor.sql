-- Room in each page of MEASUREMENT for the rows a nightly run rewrites in place
-- (rwe/sql/etl/update_measurement.sql): a corrected lab value is then a HOT update in its own
-- page, none of the table's five indexes touched, instead of a new row version on another
-- page with a new entry in every index. New pages only: a table loaded before keeps its
-- packing until it is rewritten (VACUUM FULL), as with the id map (0006).
ALTER TABLE @cdm.measurement SET (fillfactor = 90);
