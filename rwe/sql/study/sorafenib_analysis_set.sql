-- The sorafenib analysis set: one row per person in the cohort (included or not), with the
-- outcomes, baseline characteristics, baseline blood markers and tumour response that
-- `rwe analyze sorafenib` reads. Built by `rwe derive` (rwe/sql/derive/tables).
SELECT
    o.person_id,
    o.index_date,
    o.cutoff_date,
    o.included,
    o.exclusion_reason,
    o.total_treatment_days,
    o.on_treatment_at_cutoff,
    o.discontinuation_reason,
    o.ttf_days, o.ttf_event,
    o.pfs_days, o.pfs_event,
    o.os_days, o.os_event,
    c.age_at_index, c.sex, c.ecog_baseline, c.diagnosis, c.histology_group, c.histology,
    c.metastasis_bone, c.metastasis_lung, c.metastasis_lymph_node, c.symptomatic,
    c.anti_tg_positive,
    m.complete AS baseline_complete,
    m.alc, m.nlr, m.plr, m.lmr,
    r.best_overall_response, r.orr, r.dcr, r.cbr, r.max_tumor_shrinkage_pct
FROM @study.sorafenib_outcome o
LEFT JOIN @study.sorafenib_characteristic c USING (person_id)
LEFT JOIN @study.baseline_marker m USING (person_id)
LEFT JOIN @study.sorafenib_response r USING (person_id)
ORDER BY o.person_id
