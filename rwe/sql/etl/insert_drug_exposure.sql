-- DRUG_EXPOSURE rows; a drug given by medicationReference takes its Medication's concept.
-- (their dates go to event_date, changed_key.sql, for the observation period)
WITH added AS (
    INSERT INTO @cdm.drug_exposure (drug_exposure_id, person_id, drug_concept_id,
        drug_exposure_start_date, drug_exposure_start_datetime, drug_exposure_end_date,
        drug_exposure_end_datetime, verbatim_end_date, drug_type_concept_id, stop_reason, refills,
        quantity, days_supply, sig, route_concept_id, visit_occurrence_id, drug_source_value,
        drug_source_concept_id, route_source_value, dose_unit_source_value)
    SELECT w.resource_key * 1000 + e.row_index, w.person_id,
           coalesce(m.concept_id, e.concept_id, 0),
           coalesce((e.start_datetime AT TIME ZONE 'UTC')::date, e.start_date),
           e.start_datetime AT TIME ZONE 'UTC', coalesce((e.end_datetime AT TIME ZONE 'UTC')::date, e.end_date),
           e.end_datetime AT TIME ZONE 'UTC', e.verbatim_end_date,
           e.type_concept_id, e.stop_reason, e.refills, e.quantity, e.days_supply, e.sig,
           e.route_concept_id, w.visit_occurrence_id, coalesce(m.source_value, e.source_value),
           coalesce(m.source_concept_id, e.source_concept_id, 0), e.route_source_value,
           e.dose_unit_source_value
      FROM stg_event e JOIN winner w ON w.occ = e.occ
      LEFT JOIN loaded_after mf
             ON mf.resource_type = 'Medication' AND mf.fhir_id = w.medication_ref
      LEFT JOIN @rwe.medication m ON m.resource_key = mf.resource_key
     WHERE e.target = 'drug_exposure' AND w.outcome = 'apply' AND w.action = 'loaded'
    RETURNING person_id,
              drug_exposure_start_date AS first_date,
              greatest(drug_exposure_start_date, verbatim_end_date) AS last_date
)
INSERT INTO event_date SELECT person_id, first_date, last_date, false FROM added;
