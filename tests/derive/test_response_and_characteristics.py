"""Best overall response, ORR/DCR/CBR, tumor shrinkage, adverse events and Table I."""

from __future__ import annotations

from typing import Any

import pytest

from rwe.db.connection import Database
from rwe.derive import derive_all, load_study_config
from tests.derive.rows import Cdm, d

RECIST, SLD, ECOG, ANTI_TG, GRADE = 2000000002, 2000000003, 2000000001, 2000000004, 2000000005
CR, PR, SD, PD, NE = 2000000020, 2000000021, 2000000022, 2000000023, 2000000024
HYPERTENSION, HFSR, WEIGHT_LOSS = 316866, 2000000006, 4229881
CONDITION_FIELD = 1147127


def derive(database: Database) -> None:
    derive_all(database, load_study_config().params.with_options(cutoff_date=d("2022-12-31")))


def response(cdm: Cdm, person_id: int) -> dict[str, Any]:
    (row,) = cdm.dicts("SELECT * FROM study.sorafenib_response WHERE person_id = %s", person_id)
    return row


def test_best_response_and_rates(cdm: Cdm, database: Database) -> None:
    for person_id in range(1, 6):
        cdm.person(person_id)
        cdm.exposure(person_id, "2021-01-01", "2021-12-31")
    cdm.measurement(1, RECIST, "2021-03-01", value_concept=SD)
    cdm.measurement(1, RECIST, "2021-06-01", value_concept=PR)
    cdm.measurement(1, RECIST, "2021-09-01", value_concept=PD)
    cdm.measurement(1, RECIST, "2021-11-01", value_concept=CR)  # after PD: does not count
    cdm.measurement(2, RECIST, "2021-03-01", value_concept=SD)  # SD lasting 182 days: no CBR
    cdm.measurement(2, RECIST, "2021-07-02", value_concept=PD)
    cdm.measurement(3, RECIST, "2021-03-01", value_concept=SD)  # SD for 183 days: CBR
    cdm.measurement(3, RECIST, "2021-07-03", value_concept=SD)
    cdm.measurement(4, RECIST, "2021-03-01", value_concept=NE)
    derive(database)
    got = {
        p: (r["best_overall_response"], r["orr"], r["dcr"], r["cbr"])
        for p in range(1, 6)
        for r in [response(cdm, p)]
    }
    assert got == {
        1: ("PR", True, True, True),
        2: ("SD", False, True, False),
        3: ("SD", False, True, True),
        4: ("NE", False, False, False),
        5: (None, False, False, False),
    }
    assert response(cdm, 2)["stable_disease_days"] == 182
    assert response(cdm, 3)["stable_disease_days"] == 183
    assert response(cdm, 1)["first_progression_date"] == d("2021-09-01")
    assert response(cdm, 1)["assessment_count"] == 4


def test_maximum_tumor_shrinkage_from_the_baseline_sum(cdm: Cdm, database: Database) -> None:
    cdm.person(1)
    cdm.exposure(1, "2021-01-01", "2021-12-31")
    cdm.measurement(1, SLD, "2020-11-01", 200.0)  # before the window: not the baseline
    cdm.measurement(1, SLD, "2020-12-20", 100.0)  # baseline
    cdm.measurement(1, SLD, "2021-03-01", 80.0)
    cdm.measurement(1, SLD, "2021-06-01", 65.0)  # nadir: 35 % smaller
    cdm.measurement(1, SLD, "2021-09-01", 90.0)
    derive(database)
    row = response(cdm, 1)
    assert (row["baseline_sld"], row["nadir_sld"]) == (100.0, 65.0)
    assert row["max_tumor_shrinkage_pct"] == pytest.approx(35.0)


def test_adverse_events_keep_the_maximum_grade_per_term(cdm: Cdm, database: Database) -> None:
    cdm.person(1)
    cdm.exposure(1, "2021-01-01", "2021-06-30")
    cdm.condition(1, HYPERTENSION, "2020-05-01")  # before the index: not an AE
    first = cdm.condition(1, HYPERTENSION, "2021-02-01")
    second = cdm.condition(1, HYPERTENSION, "2021-04-01")
    cdm.observation(1, GRADE, "2021-02-01", 1, first, CONDITION_FIELD)
    cdm.observation(1, GRADE, "2021-04-01", 3, second, CONDITION_FIELD)
    cdm.condition(1, HFSR, "2021-07-25")  # 25 days after the end: still within 30 days
    cdm.condition(1, 196523, "2021-08-15")  # diarrhea 46 days after the end: not counted
    loss = cdm.observation(1, WEIGHT_LOSS, "2021-05-01")
    cdm.observation(1, GRADE, "2021-05-01", 2, loss, 1147165)
    derive(database)
    assert cdm.rows(
        "SELECT term, first_onset_date, occurrence_count, max_grade"
        " FROM study.sorafenib_adverse_event ORDER BY term"
    ) == [
        ("hand-foot skin reaction", d("2021-07-25"), 1, None),
        ("hypertension", d("2021-02-01"), 2, 3),
        ("weight loss", d("2021-05-01"), 1, 2),
    ]


def test_table_one_characteristics(cdm: Cdm, database: Database) -> None:
    cdm.person(1, year=1947, gender=8507, month_of_birth=6, day_of_birth=15)
    cdm.exposure(1, "2021-06-14", "2021-12-31")
    cdm.condition(1, 37165558, "2015-01-01")  # differentiated: less specific
    cdm.condition(1, 4116228, "2016-01-01")  # papillary: the histology
    cdm.condition(1, 4112985, "2021-08-01")  # anaplastic after index + 30 days: ignored
    cdm.condition(1, 2000000011, "2018-01-01")
    cdm.condition(1, 2000000012, "2020-01-01")  # most recent: recurrence
    cdm.condition(1, 2000000009, "2020-02-01")  # lung metastasis
    cdm.condition(1, 4312667, "2021-07-01")  # bone, within index + 30 days
    cdm.condition(1, 2000000013, "2021-05-01")
    cdm.measurement(1, ECOG, "2021-05-20", 2.0)  # 25 days before: replaced by the nearer one
    cdm.measurement(1, ECOG, "2021-06-10", 1.0)
    cdm.measurement(1, ANTI_TG, "2021-06-01", 120.0, range_high=4.0)
    cdm.person(2, year=1960, gender=8532)
    cdm.exposure(2, "2021-01-01", "2021-12-31")
    cdm.measurement(2, ANTI_TG, "2020-12-01", 1.0, range_high=4.0)
    derive(database)
    (one, two) = cdm.dicts("SELECT * FROM study.sorafenib_characteristic ORDER BY person_id")
    assert (one["age_at_index"], one["sex"], one["ecog_baseline"]) == (73, "male", 1)
    assert (one["histology_group"], one["histology"], one["histology_concept_id"]) == (
        "DTC",
        "papillary",
        4116228,
    )
    assert one["diagnosis"] == "recurrence"
    assert (one["metastasis_bone"], one["metastasis_lung"], one["metastasis_lymph_node"]) == (
        True,
        True,
        False,
    )
    assert (one["symptomatic"], one["anti_tg_positive"]) == (True, True)
    assert (two["age_at_index"], two["sex"], two["ecog_baseline"]) == (61, "female", None)
    assert (two["histology"], two["diagnosis"], two["anti_tg_positive"]) == (None, None, False)
