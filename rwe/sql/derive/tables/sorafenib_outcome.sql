-- One row per person with a sorafenib index date on or before the cutoff: the cohort, its
-- exclusion, TTF, PFS and OS (days from index; event 1 = event, 0 = censored).
CREATE TABLE @study.sorafenib_outcome (
    person_id BIGINT PRIMARY KEY,
    index_date DATE NOT NULL,
    cutoff_date DATE NOT NULL,
    total_treatment_days INTEGER NOT NULL,
    included BOOLEAN NOT NULL,
    exclusion_reason TEXT,
    treatment_end_date DATE NOT NULL,
    on_treatment_at_cutoff BOOLEAN NOT NULL,
    discontinuation_reason TEXT,             -- NULL when on treatment at cutoff
    ttf_days INTEGER NOT NULL,
    ttf_event SMALLINT NOT NULL,
    pfs_days INTEGER NOT NULL,
    pfs_event SMALLINT NOT NULL,
    pfs_event_type TEXT,                     -- progression, death or NULL (censored)
    os_days INTEGER NOT NULL,
    os_event SMALLINT NOT NULL,
    death_date DATE,                         -- only when on or before the cutoff
    last_contact_date DATE NOT NULL
);
