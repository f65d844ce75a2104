-- RECIST 1.1 best overall response, ORR/DCR/CBR and tumor shrinkage per cohort person.
CREATE TABLE @study.sorafenib_response (
    person_id BIGINT PRIMARY KEY,
    index_date DATE NOT NULL,
    assessment_count INTEGER NOT NULL,       -- response assessments after index, <= cutoff
    last_assessment_date DATE,
    first_progression_date DATE,
    best_overall_response TEXT,              -- CR, PR, SD, PD, NE; NULL without assessment
    stable_disease_days INTEGER,
    orr BOOLEAN NOT NULL,
    dcr BOOLEAN NOT NULL,
    cbr BOOLEAN NOT NULL,
    baseline_sld DOUBLE PRECISION,
    nadir_sld DOUBLE PRECISION,
    max_tumor_shrinkage_pct DOUBLE PRECISION
);
