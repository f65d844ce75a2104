"""Scenario data for the quality gates: a clean CDM that passes every check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from rwe.db.connection import Database
from rwe.quality import Catalogue, GateReport, load_catalogue, run_gates

# Concepts the checks need but the seed vocabulary lacks (DQD-only LOINC rows, a procedure).
EXTRA_CONCEPTS = [
    (3019198, "Lymphocytes [#/volume] in Blood", "Measurement", "LOINC", "Lab Test", "S"),
    (3001604, "Monocytes [#/volume] in Blood", "Measurement", "LOINC", "Lab Test", "S"),
    (3002030, "Lymphocytes/100 leukocytes in Blood", "Measurement", "LOINC", "Lab Test", "S"),
    (3019069, "Monocytes/100 leukocytes in Blood", "Measurement", "LOINC", "Lab Test", "S"),
    (2100000001, "test procedure", "Procedure", "rwe", "Procedure", "S"),
    (2100000002, "test non-standard concept", "Measurement", "rwe", "Lab Test", None),
]
NON_STANDARD = 2100000002
PROCEDURE = 2100000001
SORAFENIB = 1363387


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


def only(catalogue: Catalogue, check_ids: Iterable[str]) -> Catalogue:
    """The catalogue restricted to `check_ids` (faster than running all 200 checks)."""
    wanted = set(check_ids)
    return replace(catalogue, checks=tuple(c for c in catalogue.checks if c.check_id in wanted))


def run(db: Database, catalogue: Catalogue) -> GateReport:
    return run_gates(db, catalogue=catalogue)


def load_clean(db: Database, catalogue: Catalogue) -> None:
    """Two persons with plausible, linked rows in every table the ETL fills, plus study tables."""
    labs = [c for c in catalogue.checks if c.check_type == "plausibleUnitConceptIds"]
    with db.transaction() as conn:
        conn.cursor().executemany(
            "INSERT INTO cdm.concept (concept_id, concept_name, domain_id, vocabulary_id,"
            " concept_class_id, standard_concept, concept_code, valid_start_date,"
            " valid_end_date) VALUES (%s, %s, %s, %s, %s, %s, 'test', '1970-01-01',"
            " '2099-12-31') ON CONFLICT (concept_id) DO NOTHING",
            EXTRA_CONCEPTS,
        )
        conn.execute(
            "INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth,"
            " race_concept_id, ethnicity_concept_id, birth_datetime) VALUES"
            " (1, 8507, 1950, 8527, 38003564, '1950-03-01'), (2, 8532, 1960, 0, 0, NULL)"
        )
        conn.execute(
            "INSERT INTO cdm.observation_period VALUES"
            " (1, 1, '2015-01-01', '2023-06-01', 32882), (2, 2, '2016-01-01', '2023-12-31', 32882)"
        )
        conn.execute(
            "INSERT INTO cdm.visit_occurrence (visit_occurrence_id, person_id, visit_concept_id,"
            " visit_start_date, visit_end_date, visit_type_concept_id) VALUES"
            " (1, 1, 9202, '2020-01-10', '2020-01-10', 32817),"
            " (2, 2, 9202, '2021-05-01', '2021-05-02', 32817)"
        )
        conn.execute(
            "INSERT INTO cdm.condition_occurrence (condition_occurrence_id, person_id,"
            " condition_concept_id, condition_start_date, condition_end_date,"
            " condition_type_concept_id, visit_occurrence_id) VALUES"
            " (1, 1, 4116228, '2020-01-10', '2020-06-01', 32817, 1),"
            " (2, 2, 4116228, '2021-05-01', NULL, 32817, 2)"
        )
        conn.execute(
            "INSERT INTO cdm.drug_exposure (drug_exposure_id, person_id, drug_concept_id,"
            " drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id,"
            " visit_occurrence_id, stop_reason) VALUES"
            f" (1, 1, {SORAFENIB}, '2020-01-10', '2020-04-10', 32838, 1, 'progression'),"
            f" (2, 2, {SORAFENIB}, '2021-05-01', '2021-08-01', 32838, 2, NULL)"
        )
        conn.execute(
            "INSERT INTO cdm.procedure_occurrence (procedure_occurrence_id, person_id,"
            " procedure_concept_id, procedure_date, procedure_type_concept_id,"
            f" visit_occurrence_id) VALUES (1, 1, {PROCEDURE}, '2020-01-10', 32817, 1)"
        )
        conn.execute(
            "INSERT INTO cdm.observation (observation_id, person_id, observation_concept_id,"
            " observation_date, observation_type_concept_id, visit_occurrence_id) VALUES"
            " (1, 1, 4229881, '2020-01-10', 32817, 1)"
        )
        rows = []
        for i, lab in enumerate(labs):
            unit = int(lab.params["units"][0])
            # a value inside the unit's range: the middle of [low, high]
            low, high = next((lo, hi) for u, lo, hi in lab.params["ranges"] if u == unit)
            for person, visit, day in ((1, 1, "2020-01-09"), (2, 2, "2021-05-01")):
                rows.append(
                    (2 * i + person, person, lab.concept_id, day, (low + high) / 2, unit, visit)
                )
        conn.cursor().executemany(
            "INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,"
            " measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id,"
            " visit_occurrence_id) VALUES (%s, %s, %s, %s, 32856, %s, %s, %s)",
            rows,
        )
        conn.execute("INSERT INTO cdm.death (person_id, death_date) VALUES (1, '2023-06-01')")
        conn.execute("CREATE SCHEMA study")
        # The columns of rwe derive's study tables that the study gates read.
        conn.execute(
            "CREATE TABLE study.baseline_marker (person_id BIGINT, alc DOUBLE PRECISION,"
            " anc DOUBLE PRECISION, amc DOUBLE PRECISION, platelets DOUBLE PRECISION,"
            " nlr DOUBLE PRECISION, plr DOUBLE PRECISION, lmr DOUBLE PRECISION)"
        )
        conn.execute(
            "INSERT INTO study.baseline_marker VALUES (1, 1481, 3052, 276, 197400, 2.06, 133.3,"
            " 5.37), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
        conn.execute(
            "CREATE TABLE study.sorafenib_episode (person_id BIGINT, episode_start_date DATE,"
            " episode_end_date DATE, stop_reason TEXT)"
        )
        conn.execute("CREATE TABLE study.sorafenib_outcome (person_id BIGINT, cutoff_date DATE)")
        conn.execute(
            "INSERT INTO study.sorafenib_episode VALUES"
            " (1, '2020-01-10', '2020-04-10', 'progression'),"
            " (2, '2021-05-01', '2021-08-01', NULL)"
        )
        conn.execute(
            "INSERT INTO study.sorafenib_outcome VALUES (1, '2021-08-01'), (2, '2021-08-01')"
        )
