"""Treatment episodes, TTF, PFS, OS and the cohort exclusion on hand-built persons."""

from __future__ import annotations

from typing import Any

from rwe.db.connection import Database
from rwe.derive import DeriveParams, derive_all, load_study_config
from tests.derive.rows import Cdm, d

RECIST = 2000000002
SD, PD = 2000000022, 2000000023
CUTOFF = d("2021-05-31")


def params(**options: Any) -> DeriveParams:
    return load_study_config().params.with_options(cutoff_date=CUTOFF, **options)


def outcome(cdm: Cdm, person_id: int) -> dict[str, Any]:
    (row,) = cdm.dicts("SELECT * FROM study.sorafenib_outcome WHERE person_id = %s", person_id)
    return row


def test_interruptions_merge_and_the_last_segment_gives_the_stop_reason(
    cdm: Cdm, database: Database
) -> None:
    cdm.person(1)
    cdm.observation_period(1, "2019-01-01", "2021-05-31")
    cdm.exposure(1, "2020-01-01", "2020-02-29")
    cdm.exposure(1, "2020-03-20", "2020-05-31")  # 20-day interruption: same episode
    cdm.exposure(1, "2020-06-30", "2020-08-15", stop_reason="adverse-event")  # exactly 30 days
    cdm.exposure(1, "2020-10-01", "2020-12-31")  # 47 days later: a second episode
    derive_all(database, params())
    episodes = cdm.rows(
        "SELECT episode_number, episode_start_date, episode_end_date, exposure_count, gap_days,"
        " stop_reason FROM study.sorafenib_episode ORDER BY 1"
    )
    assert episodes == [
        (1, d("2020-01-01"), d("2020-08-15"), 3, 50, "adverse-event"),
        (2, d("2020-10-01"), d("2020-12-31"), 1, 0, None),
    ]
    row = outcome(cdm, 1)
    assert row["index_date"] == d("2020-01-01")
    assert (row["ttf_days"], row["ttf_event"]) == (227, 1)  # 2020-01-01 -> 2020-08-15
    assert row["discontinuation_reason"] == "adverse-event"
    assert row["total_treatment_days"] == 227 + 91
    assert row["included"] is True
    # Alive, no assessment: OS censored at last contact, PFS at the index.
    assert (row["os_days"], row["os_event"]) == ((CUTOFF - d("2020-01-01")).days, 0)
    assert (row["pfs_days"], row["pfs_event"], row["pfs_event_type"]) == (0, 0, None)


def test_death_before_the_cutoff_ends_treatment_and_is_an_event(
    cdm: Cdm, database: Database
) -> None:
    cdm.person(2)
    cdm.observation_period(2, "2019-01-01", "2021-02-15")
    cdm.exposure(2, "2020-06-01", "2021-03-31")  # recorded past the death
    cdm.measurement(2, RECIST, "2020-09-01", value_concept=SD)
    cdm.death(2, "2021-02-15")
    derive_all(database, params())
    row = outcome(cdm, 2)
    days = (d("2021-02-15") - d("2020-06-01")).days
    assert (row["ttf_days"], row["ttf_event"], row["discontinuation_reason"]) == (days, 1, "death")
    assert (row["os_days"], row["os_event"], row["death_date"]) == (days, 1, d("2021-02-15"))
    assert (row["pfs_days"], row["pfs_event"], row["pfs_event_type"]) == (days, 1, "death")
    assert row["on_treatment_at_cutoff"] is False


def test_on_treatment_at_the_cutoff_is_censored_there(cdm: Cdm, database: Database) -> None:
    cdm.person(3)
    cdm.observation_period(3, "2019-01-01", "2021-09-30")
    cdm.exposure(3, "2020-12-01", "2021-08-01", stop_reason="progression")  # stop after cutoff
    cdm.exposure(3, "2021-09-01", "2021-09-30")  # starts after the cutoff: not seen
    cdm.measurement(3, RECIST, "2021-03-01", value_concept=SD)
    cdm.measurement(3, RECIST, "2021-07-01", value_concept=PD)  # after the cutoff: not seen
    cdm.death(3, "2021-09-30")  # after the cutoff: not seen
    cdm.person(4)
    cdm.observation_period(4, "2019-01-01", "2021-05-31")
    cdm.exposure(4, "2021-01-01", "2021-05-31")  # ends on the cutoff without a stop reason
    derive_all(database, params())
    row = outcome(cdm, 3)
    days = (CUTOFF - d("2020-12-01")).days
    assert row["on_treatment_at_cutoff"] is True
    assert (row["ttf_days"], row["ttf_event"], row["discontinuation_reason"]) == (days, 0, None)
    assert (row["os_days"], row["os_event"], row["death_date"]) == (days, 0, None)
    assert row["last_contact_date"] == CUTOFF  # observation ends later: capped at the cutoff
    assert (row["pfs_days"], row["pfs_event"]) == ((d("2021-03-01") - d("2020-12-01")).days, 0)
    assert cdm.rows("SELECT count(*) FROM study.sorafenib_episode WHERE person_id = 3") == [(1,)]
    row = outcome(cdm, 4)
    assert (row["on_treatment_at_cutoff"], row["ttf_event"], row["ttf_days"]) == (True, 0, 150)


def test_progression_after_a_treatment_stop_counts_for_pfs_not_for_response(
    cdm: Cdm, database: Database
) -> None:
    cdm.person(5)
    cdm.observation_period(5, "2019-01-01", "2021-05-31")
    cdm.exposure(5, "2020-01-01", "2020-06-30", stop_reason="decision")
    cdm.measurement(5, RECIST, "2020-03-01", value_concept=SD)
    cdm.measurement(5, RECIST, "2020-09-01", value_concept=PD)
    derive_all(database, params())
    row = outcome(cdm, 5)
    assert (row["ttf_days"], row["ttf_event"], row["discontinuation_reason"]) == (
        181,
        1,
        "decision",
    )
    assert (row["pfs_days"], row["pfs_event"], row["pfs_event_type"]) == (244, 1, "progression")
    (response,) = cdm.dicts("SELECT * FROM study.sorafenib_response WHERE person_id = 5")
    assert response["best_overall_response"] == "SD"
    assert response["first_progression_date"] == d("2020-09-01")
    assert response["stable_disease_days"] == 244  # SD lasts until the progression


def test_short_treatment_is_excluded_and_unknown_reasons_are_other(
    cdm: Cdm, database: Database
) -> None:
    cdm.person(6)
    cdm.exposure(6, "2020-01-01", "2020-01-20", stop_reason="Patient moved")
    cdm.person(7)
    cdm.exposure(7, "2020-01-01", "2020-03-01")  # no stop reason recorded
    cdm.death(7, "2020-03-20")  # within the persistence window after the stop
    cdm.person(8)
    cdm.exposure(8, "2020-01-01", "2020-03-01")
    derive_all(database, params())
    row = outcome(cdm, 6)
    assert (row["included"], row["exclusion_reason"]) == (False, "treated fewer than 30 days")
    assert row["discontinuation_reason"] == "other"
    assert outcome(cdm, 7)["discontinuation_reason"] == "death"
    assert outcome(cdm, 8)["discontinuation_reason"] == "other"
    # Without an observation period, last contact falls back to the treatment end.
    assert outcome(cdm, 8)["last_contact_date"] == d("2020-03-01")


def test_default_cutoff_is_the_latest_observation_period_end(cdm: Cdm, database: Database) -> None:
    cdm.person(9)
    cdm.observation_period(9, "2019-01-01", "2022-02-28")
    cdm.exposure(9, "2021-01-01", "2022-02-28")
    summary = derive_all(database)
    assert summary.cutoff_date == d("2022-02-28")
    assert outcome(cdm, 9)["cutoff_date"] == d("2022-02-28")


def test_an_interruption_at_the_cutoff_is_still_on_treatment(cdm: Cdm, database: Database) -> None:
    # spec: still on treatment at the cutoff = censored. The last exposure ended 10 days before
    # the cutoff without a stop reason: a restart after the cutoff would continue the episode.
    cdm.person(20)
    cdm.observation_period(20, "2019-01-01", "2021-05-20")
    cdm.exposure(20, "2021-05-01", "2021-05-21")  # also fewer than 30 days: not excluded
    cdm.person(21)
    cdm.observation_period(21, "2019-01-01", "2021-05-20")
    cdm.exposure(21, "2020-01-01", "2021-04-30")  # 31 days before the cutoff: ended, "other"
    derive_all(database, params())
    row = outcome(cdm, 20)
    assert (row["on_treatment_at_cutoff"], row["ttf_days"], row["ttf_event"]) == (True, 30, 0)
    assert (row["discontinuation_reason"], row["included"]) == (None, True)
    assert row["treatment_end_date"] == CUTOFF
    row = outcome(cdm, 21)
    assert (row["on_treatment_at_cutoff"], row["ttf_event"]) == (False, 1)
    assert row["discontinuation_reason"] == "other"


def test_pfs_is_censored_at_the_last_adequate_assessment(cdm: Cdm, database: Database) -> None:
    # RECIST 1.1: an NE assessment is not adequate; censor at the last CR/PR/SD/PD one.
    cdm.person(22)
    cdm.observation_period(22, "2019-01-01", "2021-05-31")
    cdm.exposure(22, "2020-01-01", "2021-06-30")
    cdm.measurement(22, RECIST, "2020-03-01", value_concept=SD)
    cdm.measurement(22, RECIST, "2020-06-01", value_concept=2000000024)  # NE
    derive_all(database, params())
    row = outcome(cdm, 22)
    assert (row["pfs_days"], row["pfs_event"]) == ((d("2020-03-01") - d("2020-01-01")).days, 0)
