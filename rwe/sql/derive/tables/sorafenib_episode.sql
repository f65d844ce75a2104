-- Sorafenib treatment episodes: exposures (any product rolled up to the ingredient) merged
-- with the persistence window, as far as the data cutoff.
CREATE TABLE @study.sorafenib_episode (
    person_id BIGINT NOT NULL,
    episode_number INTEGER NOT NULL,
    episode_start_date DATE NOT NULL,
    episode_end_date DATE NOT NULL,          -- last exposure end (OHDSI end-date rule)
    exposure_count INTEGER NOT NULL,
    gap_days INTEGER NOT NULL,
    stop_reason TEXT,                        -- DRUG_EXPOSURE.stop_reason of the last segment
    last_drug_exposure_id BIGINT NOT NULL,
    PRIMARY KEY (person_id, episode_number)
);
