-- The cohort and its outcomes, one row per person whose first sorafenib episode starts on or
-- before the cutoff (@cutoff_date). Times are days from the index date.
-- On treatment at the cutoff (censored, spec: "still on treatment at cutoff = censored"), unless
-- death came on or before the episode end: the first episode ends after the cutoff (the ETL
-- imputes the end of an ongoing exposure as the export's data date, rwe/etl/README.md), or its
-- last exposure has no stop reason and ended less than @persistence_window_days before the
-- cutoff (an interruption at the cutoff: a restart after the cutoff would continue the episode,
-- so its end is not known yet).
-- Exclusion (paper 004): total treatment (episodes, each capped at the cutoff) shorter than
-- @min_treatment_days days, unless still on treatment at the cutoff (not known to be short).
-- TTF: the first episode ends at its last exposure's end, or at death when earlier; censored at
-- the cutoff when on treatment. Otherwise an event; reason = death when death came on or
-- before the episode end, else the recorded stop reason (progression, adverse-event, decision,
-- death, other; unknown values -> other), else death when it came within the persistence
-- window after the end, else other.
-- PFS: first RECIST PD after the index (also after the treatment stopped) or death, whichever
-- first; censored at the last adequate tumor assessment (CR, PR, SD or PD; NE does not count,
-- RECIST 1.1), or at the index without any.
-- OS: death on or before the cutoff; censored at last contact = the latest
-- observation_period_end_date capped at the cutoff (without an observation period: the
-- latest of treatment end and last assessment). Deaths after the cutoff are not seen.
DELETE FROM @study.sorafenib_outcome
WHERE (@full_or person_id IN (SELECT person_id FROM derive_scope));

INSERT INTO @study.sorafenib_outcome (
    person_id, index_date, cutoff_date, total_treatment_days, included, exclusion_reason,
    treatment_end_date, on_treatment_at_cutoff, discontinuation_reason, ttf_days, ttf_event,
    pfs_days, pfs_event, pfs_event_type, os_days, os_event, death_date, last_contact_date
)
WITH episode AS (
    SELECT
        e.person_id,
        min(e.episode_start_date) AS index_date,
        sum(LEAST(e.episode_end_date, @cutoff_date) - e.episode_start_date) AS total_days,
        min(e.episode_end_date) FILTER (WHERE e.episode_number = 1) AS first_end_date,
        min(e.stop_reason) FILTER (WHERE e.episode_number = 1) AS stop_reason
    FROM @study.sorafenib_episode e
    WHERE (@full_or e.person_id IN (SELECT person_id FROM derive_scope))
    GROUP BY e.person_id
),
died AS (
    SELECT d.person_id, min(d.death_date) AS death_date
    FROM @cdm.death d
    WHERE d.death_date <= @cutoff_date
      AND (@full_or d.person_id IN (SELECT person_id FROM derive_scope))
    GROUP BY d.person_id
),
observed AS (
    SELECT op.person_id, max(op.observation_period_end_date) AS end_date
    FROM @cdm.observation_period op
    WHERE (@full_or op.person_id IN (SELECT person_id FROM derive_scope))
    GROUP BY op.person_id
),
base AS (
    SELECT
        e.person_id,
        e.index_date,
        e.total_days,
        e.first_end_date,
        CASE WHEN e.stop_reason IN ('progression', 'adverse-event', 'decision', 'death', 'other')
             THEN e.stop_reason
             WHEN e.stop_reason IS NOT NULL THEN 'other'
        END AS stop_reason,
        d.death_date,
        LEAST(e.first_end_date, d.death_date) AS treatment_end,
        r.first_progression_date,
        r.last_assessment_date,
        LEAST(
            COALESCE(o.end_date,
                     GREATEST(LEAST(e.first_end_date, @cutoff_date), r.last_assessment_date)),
            @cutoff_date
        ) AS last_contact_date
    FROM episode e
    LEFT JOIN died d ON d.person_id = e.person_id
    LEFT JOIN observed o ON o.person_id = e.person_id
    LEFT JOIN @study.sorafenib_response r ON r.person_id = e.person_id
),
judged AS (
    SELECT
        b.*,
        (b.treatment_end > @cutoff_date
         OR (b.stop_reason IS NULL
             AND b.first_end_date + @persistence_window_days > @cutoff_date
             AND (b.death_date IS NULL OR b.death_date > b.first_end_date)))
            AS on_treatment,
        LEAST(b.first_progression_date, b.death_date) AS pfs_event_date
    FROM base b
)
SELECT
    person_id,
    index_date,
    @cutoff_date,
    total_days,
    on_treatment OR total_days >= @min_treatment_days,
    CASE WHEN NOT on_treatment AND total_days < @min_treatment_days
         THEN 'treated fewer than @min_treatment_days days' END,
    CASE WHEN on_treatment THEN @cutoff_date ELSE LEAST(treatment_end, @cutoff_date) END,
    on_treatment,
    CASE WHEN on_treatment THEN NULL
         WHEN death_date <= first_end_date THEN 'death'
         WHEN stop_reason IS NOT NULL THEN stop_reason
         WHEN death_date <= first_end_date + @persistence_window_days THEN 'death'
         ELSE 'other'
    END,
    CASE WHEN on_treatment THEN @cutoff_date ELSE LEAST(treatment_end, @cutoff_date) END
        - index_date,
    CASE WHEN on_treatment THEN 0 ELSE 1 END,
    COALESCE(pfs_event_date, GREATEST(last_assessment_date, index_date), index_date) - index_date,
    CASE WHEN pfs_event_date IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN first_progression_date <= death_date
              OR (death_date IS NULL AND first_progression_date IS NOT NULL) THEN 'progression'
         WHEN death_date IS NOT NULL THEN 'death'
    END,
    GREATEST(COALESCE(death_date, last_contact_date), index_date) - index_date,
    CASE WHEN death_date IS NOT NULL THEN 1 ELSE 0 END,
    death_date,
    GREATEST(last_contact_date, index_date)
FROM judged;
