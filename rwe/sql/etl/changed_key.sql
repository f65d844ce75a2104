-- Resources whose previous rows go away in this run: replaced, excluded or deleted ones that
-- were loaded, and the events of Patients deleted or excluded now (their person is gone).
-- row_count: how many event rows the loaded version has (NULL: not known, see
-- rewritten_key.sql).
CREATE TEMP TABLE changed_key ON COMMIT DROP AS
SELECT resource_key, resource_type, old_person_id AS person_id, old_row_count AS row_count
  FROM winner
 WHERE outcome = 'apply' AND old_state = 'loaded'
UNION
SELECT f.resource_key, f.resource_type, f.person_id, f.row_count FROM @rwe.fhir_resource f
  JOIN winner w ON w.resource_type = 'Patient' AND w.outcome = 'apply'
                AND w.action <> 'loaded' AND w.old_state = 'loaded'
                AND f.person_id = w.resource_key * 1000
 WHERE f.state = 'loaded';
CREATE INDEX ON changed_key (resource_key);
ANALYZE changed_key;
-- The dates of the event rows this run removes (removed) and adds, per person: the delete_
-- and insert_ steps fill it; observation_period.sql rebuilds only the periods they may shrink.
-- first_date/last_date are each row's contribution to the period, as observation_period.sql
-- counts it.
CREATE TEMP TABLE event_date (
    person_id bigint, first_date date, last_date date, removed boolean
) ON COMMIT DROP;
