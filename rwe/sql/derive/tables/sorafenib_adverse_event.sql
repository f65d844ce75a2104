-- Adverse events during treatment: one row per person and term with the maximum CTCAE grade.
CREATE TABLE @study.sorafenib_adverse_event (
    person_id BIGINT NOT NULL,
    term TEXT NOT NULL,
    first_onset_date DATE NOT NULL,
    occurrence_count INTEGER NOT NULL,
    max_grade INTEGER,                       -- NULL when no grade was recorded
    PRIMARY KEY (person_id, term)
);
