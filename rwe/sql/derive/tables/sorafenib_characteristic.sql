-- Table I characteristics at treatment start, one row per person with an index date.
CREATE TABLE @study.sorafenib_characteristic (
    person_id BIGINT PRIMARY KEY,
    index_date DATE NOT NULL,
    age_at_index INTEGER,
    gender_concept_id INTEGER NOT NULL,
    sex TEXT NOT NULL,                       -- male, female, other
    ecog_baseline INTEGER,
    diagnosis TEXT,                          -- locally advanced, recurrence
    histology_group TEXT,                    -- DTC, MTC, ATC
    histology TEXT,
    histology_concept_id INTEGER,
    metastasis_bone BOOLEAN NOT NULL,
    metastasis_lung BOOLEAN NOT NULL,
    metastasis_lymph_node BOOLEAN NOT NULL,
    symptomatic BOOLEAN NOT NULL,
    anti_tg_positive BOOLEAN                 -- NULL when never measured
);
