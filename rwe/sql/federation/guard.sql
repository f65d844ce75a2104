-- The site's disclosure rules, checked before anything is released; the answer is logged.
-- Refusals raise 'rwe-federated: refused: ...' (the coordinator names the site and the rule).
CREATE OR REPLACE FUNCTION @federated.guard(
    query_id TEXT, kind TEXT, spec TEXT, participants TEXT[], check_size BOOLEAN,
    n_patients INTEGER, n_events INTEGER, level_counts BIGINT[], fingerprint TEXT
) RETURNS VOID
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    min_patients INTEGER := @federated.setting_value('min_patients');
    min_events INTEGER := @federated.setting_value('min_events');
    min_group INTEGER := @federated.setting_value('min_group');
    min_sites INTEGER := @federated.setting_value('min_sites');
    run TEXT := split_part(query_id, ':', 1);
    spec_key TEXT := md5(kind || '|' || spec);
    sorted TEXT[] := ARRAY(SELECT DISTINCT p FROM unnest(participants) p ORDER BY p);
BEGIN
    IF query_id IS NULL OR length(query_id) < 16 OR length(run) < 16 THEN
        RAISE EXCEPTION 'rwe-federated: refused: a query id of at least 16 characters is required';
    END IF;
    IF EXISTS (SELECT 1 FROM @federated.query_log l WHERE l.query_id = guard.query_id) THEN
        -- A reused id would reuse the masks, and differences of masked answers would leak.
        RAISE EXCEPTION 'rwe-federated: refused: query id % was already used', query_id;
    END IF;
    IF cardinality(sorted) = 0 AND @federated.setting_value('allow_unmasked') = 0 THEN
        RAISE EXCEPTION 'rwe-federated: refused: this site answers masked queries only';
    END IF;
    IF cardinality(sorted) BETWEEN 1 AND min_sites - 1 THEN
        RAISE EXCEPTION 'rwe-federated: refused: at least % sites must take part (got %)',
            min_sites, cardinality(sorted);
    END IF;
    IF (SELECT count(*) FROM @federated.query_log l WHERE l.run_id = run)
            >= @federated.setting_value('max_calls_per_run') THEN
        RAISE EXCEPTION 'rwe-federated: refused: query budget of run % exhausted', run;
    END IF;
    IF check_size THEN
        IF n_patients < min_patients THEN
            RAISE EXCEPTION 'rwe-federated: refused: fewer than % patients (minimum %)',
                min_patients, min_patients;
        END IF;
        IF n_events IS NOT NULL AND n_events < min_events THEN
            RAISE EXCEPTION 'rwe-federated: refused: fewer than % events', min_events;
        END IF;
        IF EXISTS (SELECT 1 FROM unnest(level_counts) c WHERE c BETWEEN 1 AND min_group - 1) THEN
            RAISE EXCEPTION 'rwe-federated: refused: a group level has fewer than % patients',
                min_group;
        END IF;
    END IF;
    -- Differencing: the same question on a cohort changed by a few patients reveals them.
    IF EXISTS (SELECT 1 FROM @federated.query_log l
               WHERE l.kind = guard.kind AND l.spec_hash = spec_key
                 AND l.fingerprint <> guard.fingerprint
                 AND abs(l.n_patients - guard.n_patients) < min_patients) THEN
        RAISE EXCEPTION 'rwe-federated: refused: the same query was answered on a cohort that '
            'differs by fewer than % patients', min_patients;
    END IF;
    -- ... and pooled answers over two different sets of sites reveal the difference.
    IF cardinality(sorted) > 0 AND EXISTS (
            SELECT 1 FROM @federated.query_log l
            WHERE l.kind = guard.kind AND l.spec_hash = spec_key
              AND l.fingerprint = guard.fingerprint
              AND cardinality(l.participants) > 0 AND l.participants <> sorted) THEN
        RAISE EXCEPTION 'rwe-federated: refused: the same query was answered for another set '
            'of sites';
    END IF;
    INSERT INTO @federated.query_log (query_id, run_id, kind, spec_hash, fingerprint,
                                      n_patients, participants)
    VALUES (query_id, run, kind, spec_key, fingerprint, n_patients, sorted);
END
$$;
