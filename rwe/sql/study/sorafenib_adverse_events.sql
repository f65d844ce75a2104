-- Adverse events of the cohort: one row per person and term with the maximum CTCAE grade.
SELECT a.person_id, a.term, a.max_grade
FROM @study.sorafenib_adverse_event a
JOIN @study.sorafenib_outcome o USING (person_id)
ORDER BY a.person_id, a.term
