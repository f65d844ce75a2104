-- The study's concept sets (rwe/omop_mappings/study_sorafenib.toml), reloaded at each run.
CREATE TABLE @study.concept_set (
    set_name TEXT NOT NULL,
    concept_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    rank INTEGER NOT NULL,
    factor DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (set_name, concept_id)
);
