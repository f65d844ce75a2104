-- Exposures still ongoing at their load (a MedicationStatement with no end) end on that
-- input's data date (an imputed date, §f2o-071). This list lets each later run move those
-- imputed ends to its own data date when the statement is not sent again
-- (rwe/sql/etl/open_exposure.sql).
CREATE TABLE IF NOT EXISTS @rwe.open_exposure (
    drug_exposure_id BIGINT PRIMARY KEY,
    imputed_end DATE NOT NULL
);
