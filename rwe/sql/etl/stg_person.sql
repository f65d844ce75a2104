-- PERSON and DEATH values of each Patient occurrence.
CREATE TEMP TABLE stg_person (
    occ BIGINT NOT NULL,
    gender_concept_id INTEGER NOT NULL,
    gender_source_value TEXT,
    year_of_birth INTEGER NOT NULL,
    month_of_birth INTEGER,
    day_of_birth INTEGER,
    birth_datetime TIMESTAMP,
    race_concept_id INTEGER NOT NULL,
    race_source_value TEXT,
    ethnicity_concept_id INTEGER NOT NULL,
    ethnicity_source_value TEXT,
    death_date DATE,
    death_datetime TIMESTAMPTZ,
    death_type_concept_id INTEGER
) ON COMMIT DROP;
