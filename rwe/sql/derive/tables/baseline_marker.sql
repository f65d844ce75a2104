-- Baseline blood markers (paper 004) from the chosen complete blood count, cells/uL.
CREATE TABLE @study.baseline_marker (
    person_id BIGINT PRIMARY KEY,
    index_date DATE NOT NULL,
    draw_datetime TIMESTAMP,                 -- NULL when no draw in the window
    draw_date DATE,
    days_before_index INTEGER,
    complete BOOLEAN NOT NULL,               -- WBC-independent: lymphocytes, neutrophils,
                                             -- monocytes and platelets all known
    candidate_draws INTEGER NOT NULL,
    wbc DOUBLE PRECISION,
    alc DOUBLE PRECISION,
    anc DOUBLE PRECISION,
    amc DOUBLE PRECISION,
    platelets DOUBLE PRECISION,
    nlr DOUBLE PRECISION,
    plr DOUBLE PRECISION,
    lmr DOUBLE PRECISION
);
