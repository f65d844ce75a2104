"""Baseline ALC, NLR, PLR and LMR: window, draws, unit conversions, percentages, ties."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rwe.db.connection import Database
from rwe.derive import derive_all
from tests.derive.rows import Cdm, d

WBC, LYM, NEU, MONO, PLT = 3000905, 3004327, 3013650, 3033575, 3024929
LYM_PCT, NEU_PCT, MONO_PCT = 3037511, 3008342, 3011948
K_PER_UL, G_PER_L, K_PER_MM3, PER_UL, CELLS_PER_UL, PER_MM3, PERCENT = (
    8848,
    9444,
    8961,
    8647,
    8784,
    8785,
    8554,
)
INDEX = "2021-03-01"


def cbc(cdm: Cdm, person_id: int, when: str, lym: float, neu: float, mono: float,
        plt: float, unit: int = K_PER_UL) -> None:  # fmt: skip
    for concept, value in ((LYM, lym), (NEU, neu), (MONO, mono), (PLT, plt)):
        cdm.measurement(person_id, concept, when, value, unit)


def start(cdm: Cdm, person_id: int) -> None:
    cdm.person(person_id)
    cdm.exposure(person_id, INDEX, "2021-09-01")


def marker(cdm: Cdm, person_id: int) -> dict[str, Any]:
    (row,) = cdm.dicts("SELECT * FROM study.baseline_marker WHERE person_id = %s", person_id)
    return row


def test_the_draw_on_the_index_day_beats_one_30_days_before(cdm: Cdm, database: Database) -> None:
    start(cdm, 1)
    cbc(cdm, 1, "2021-01-30 08:00", 2.0, 4.0, 0.5, 300)  # 30 days before: in the window
    cbc(cdm, 1, "2021-03-01 07:30", 1.5, 3.0, 0.3, 200)  # index day: nearest
    cbc(cdm, 1, "2021-03-02 07:30", 9.9, 9.9, 9.9, 999)  # after the index: never
    derive_all(database)
    row = marker(cdm, 1)
    assert row["draw_date"] == d("2021-03-01") and row["days_before_index"] == 0
    assert (row["alc"], row["anc"], row["amc"], row["platelets"]) == (1500, 3000, 300, 200000)
    assert row["nlr"] == pytest.approx(2.0)
    assert row["plr"] == pytest.approx(200000 / 1500)
    assert row["lmr"] == pytest.approx(5.0)
    assert (row["complete"], row["candidate_draws"]) == (True, 2)


def test_30_days_before_is_in_the_window_31_days_is_not(cdm: Cdm, database: Database) -> None:
    start(cdm, 2)
    cbc(cdm, 2, "2021-01-30 08:00", 2.0, 4.0, 0.5, 300)  # exactly 30 days before
    start(cdm, 3)
    cbc(cdm, 3, "2021-01-29 08:00", 2.0, 4.0, 0.5, 300)  # 31 days before
    derive_all(database)
    assert marker(cdm, 2)["alc"] == 2000 and marker(cdm, 2)["days_before_index"] == 30
    row = marker(cdm, 3)
    assert (row["alc"], row["nlr"], row["draw_date"], row["complete"]) == (None, None, None, False)
    assert row["candidate_draws"] == 0


def test_no_baseline_draw_gives_a_row_without_markers(cdm: Cdm, database: Database) -> None:
    start(cdm, 4)
    derive_all(database)
    row = marker(cdm, 4)
    assert row["index_date"] == d(INDEX)
    assert all(row[k] is None for k in ("wbc", "alc", "anc", "amc", "platelets", "nlr", "plr"))


@pytest.mark.parametrize(
    ("unit", "scale"),
    [(K_PER_UL, 1), (G_PER_L, 1), (K_PER_MM3, 1), (PER_UL, 1000), (CELLS_PER_UL, 1000),
     (PER_MM3, 1000)],
)  # fmt: skip
def test_count_units_become_cells_per_microliter(
    cdm: Cdm, database: Database, unit: int, scale: int
) -> None:
    start(cdm, 5)
    cbc(cdm, 5, "2021-02-27 09:00", 1.2 * scale, 3.6 * scale, 0.4 * scale, 240 * scale, unit)
    derive_all(database)
    row = marker(cdm, 5)
    assert row["alc"] == pytest.approx(1200)
    assert row["platelets"] == pytest.approx(240000)
    assert (row["nlr"], row["plr"], row["lmr"]) == pytest.approx((3.0, 200.0, 3.0))


def test_percent_only_differentials_use_the_same_draw_wbc(cdm: Cdm, database: Database) -> None:
    start(cdm, 6)
    when = "2021-02-20 10:15"
    cdm.measurement(6, WBC, when, 6.0, K_PER_UL)
    cdm.measurement(6, LYM_PCT, when, 25.0, PERCENT)
    cdm.measurement(6, NEU_PCT, when, 60.0, PERCENT)
    cdm.measurement(6, MONO_PCT, when, 10.0, PERCENT)
    cdm.measurement(6, PLT, when, 210, K_PER_UL)
    derive_all(database)
    row = marker(cdm, 6)
    assert (row["wbc"], row["alc"], row["anc"], row["amc"]) == pytest.approx(
        (6000, 1500, 3600, 600)
    )
    assert (row["nlr"], row["plr"], row["lmr"]) == pytest.approx((2.4, 140.0, 2.5))
    assert row["complete"] is True


def test_a_percentage_needs_a_wbc_from_the_same_draw(cdm: Cdm, database: Database) -> None:
    start(cdm, 7)
    cdm.measurement(7, WBC, "2021-02-20 08:00", 6.0, K_PER_UL)  # another draw
    cdm.measurement(7, LYM_PCT, "2021-02-20 10:15", 25.0, PERCENT)
    cdm.measurement(7, NEU, "2021-02-20 10:15", 3.0, K_PER_UL)
    cdm.measurement(7, MONO, "2021-02-20 10:15", 0.5, 999)  # unknown unit: not used
    derive_all(database)
    row = marker(cdm, 7)
    assert (row["alc"], row["anc"], row["amc"], row["complete"]) == (None, 3000, None, False)
    assert row["candidate_draws"] == 1  # the WBC-only draw gives no marker


def test_an_absolute_count_wins_over_a_percentage(cdm: Cdm, database: Database) -> None:
    start(cdm, 8)
    when = "2021-02-25 09:00"
    cbc(cdm, 8, when, 1.0, 2.0, 0.5, 150)
    cdm.measurement(8, WBC, when, 10.0, K_PER_UL)
    cdm.measurement(8, LYM_PCT, when, 50.0, PERCENT)  # would give 5,000
    derive_all(database)
    assert marker(cdm, 8)["alc"] == 1000


def test_ties_prefer_the_later_draw_of_the_day(cdm: Cdm, database: Database) -> None:
    start(cdm, 9)
    cbc(cdm, 9, "2021-02-26 08:00", 1.0, 2.0, 0.5, 150)
    cbc(cdm, 9, "2021-02-26 16:00", 2.0, 2.0, 0.5, 150)
    derive_all(database)
    row = marker(cdm, 9)
    assert (row["alc"], row["draw_datetime"].hour, row["candidate_draws"]) == (2000, 16, 2)


def test_a_complete_draw_beats_a_nearer_partial_one(cdm: Cdm, database: Database) -> None:
    start(cdm, 10)
    cbc(cdm, 10, "2021-02-10 08:00", 1.0, 2.0, 0.5, 150)
    cdm.measurement(10, LYM, "2021-02-28 08:00", 3.0, K_PER_UL)  # nearer, lymphocytes only
    start(cdm, 11)
    cdm.measurement(11, LYM, "2021-02-28 08:00", 3.0, K_PER_UL)  # only a partial draw
    cdm.measurement(11, PLT, "2021-02-28 08:00", 300, K_PER_UL)
    derive_all(database)
    assert (marker(cdm, 10)["alc"], marker(cdm, 10)["complete"]) == (1000, True)
    row = marker(cdm, 11)
    assert (row["alc"], row["plr"], row["nlr"], row["complete"]) == (3000, 100, None, False)


def test_the_per_person_lookup_uses_the_measurement_index(cdm: Cdm, database: Database) -> None:
    start(cdm, 12)
    # Enough rows (400 persons x 40 days x 8 concepts) for the planner to weigh the indexes.
    cdm.conn.execute(
        "INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id,"
        " measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id)"
        " SELECT row_number() OVER () + 1000000, p, c, DATE '2021-01-01' + day, 32817, 1, 8848"
        " FROM generate_series(1, 400) p, generate_series(0, 39) day,"
        " unnest(ARRAY[3000905, 3004327, 3013650, 3033575, 3024929, 3037511, 3008342,"
        " 3011948]) c"
    )
    cdm.conn.execute("ANALYZE cdm.measurement")
    derive_all(database)
    plan = "\n".join(
        r[0]
        for r in cdm.rows(
            "EXPLAIN SELECT * FROM study.sorafenib_episode e CROSS JOIN LATERAL ("
            " SELECT * FROM cdm.measurement m WHERE m.person_id = e.person_id"
            " AND m.measurement_concept_id = ANY (ARRAY[3004327, 3013650]::integer[])"
            " AND m.measurement_date BETWEEN e.episode_start_date - 30"
            " AND e.episode_start_date) m"
        )
    )
    # An index probe per person (the planner picks the person or the composite index).
    assert re.search(r"Index (Only )?Scan using idx_measurement_person_\w+ on measurement", plan)
    assert "Seq Scan on measurement" not in plan, plan
