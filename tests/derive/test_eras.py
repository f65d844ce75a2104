"""DRUG_ERA and CONDITION_ERA: OHDSI's era rules on hand-built rows and on Synthea27Nj."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile

import pytest

from rwe.db.connection import Database
from rwe.derive import derive_all
from tests.conftest import shared_path
from tests.derive.rows import SORAFENIB, SORAFENIB_PRODUCT, Cdm, d

LENVATINIB = 46221433


def drug_eras(cdm: Cdm) -> list[tuple[object, ...]]:
    return cdm.rows(
        "SELECT person_id, drug_concept_id, drug_era_start_date, drug_era_end_date,"
        " drug_exposure_count, gap_days FROM cdm.drug_era ORDER BY 1, 2, 3"
    )


def test_overlap_and_exactly_30_days_merge_31_days_split(cdm: Cdm, database: Database) -> None:
    cdm.person(1)
    cdm.exposure(1, "2020-01-01", "2020-01-10")
    cdm.exposure(1, "2020-01-05", "2020-01-20")  # overlaps: one sub-exposure 01-01..01-20
    cdm.exposure(1, "2020-02-19", "2020-02-28")  # starts exactly 30 days after 01-20: merged
    cdm.exposure(1, "2020-03-30", "2020-04-09")  # starts 31 days after 02-28: a new era
    derive_all(database)
    assert drug_eras(cdm) == [
        # 58 days long, 19 + 9 days covered: gap_days 30
        (1, SORAFENIB, d("2020-01-01"), d("2020-02-28"), 3, 30),
        (1, SORAFENIB, d("2020-03-30"), d("2020-04-09"), 1, 0),
    ]


def test_end_date_rules_days_supply_and_missing_end(cdm: Cdm, database: Database) -> None:
    # CDM v5.4 makes drug_exposure_end_date NOT NULL; OHDSI's rule still covers a NULL one.
    cdm.conn.execute("ALTER TABLE cdm.drug_exposure ALTER drug_exposure_end_date DROP NOT NULL")
    cdm.person(2)
    cdm.exposure(2, "2021-01-01", None, days_supply=14)  # ends 01-15
    cdm.exposure(2, "2021-03-01", None, days_supply=0)  # 0 supply = missing: ends 03-02
    cdm.exposure(2, "2021-06-01", None)  # nothing known: start + 1 day
    cdm.exposure(2, "2021-09-01", "2021-09-05", days_supply=90)  # the end date wins
    cdm.exposure(2, "2021-12-01", "2021-12-05", days_supply=-3)  # negative supply: skipped
    derive_all(database)
    assert drug_eras(cdm) == [
        (2, SORAFENIB, d("2021-01-01"), d("2021-01-15"), 1, 0),
        (2, SORAFENIB, d("2021-03-01"), d("2021-03-02"), 1, 0),
        (2, SORAFENIB, d("2021-06-01"), d("2021-06-02"), 1, 0),
        (2, SORAFENIB, d("2021-09-01"), d("2021-09-05"), 1, 0),
    ]


def test_products_roll_up_to_the_ingredient_and_ingredients_stay_apart(
    cdm: Cdm, database: Database
) -> None:
    cdm.sorafenib_product()
    cdm.person(3)
    cdm.exposure(3, "2020-01-01", "2020-01-31", concept=SORAFENIB_PRODUCT)
    cdm.exposure(3, "2020-02-10", "2020-03-10", concept=SORAFENIB)
    cdm.exposure(3, "2020-01-15", "2020-02-15", concept=LENVATINIB)
    cdm.exposure(3, "2020-01-15", "2020-02-15", concept=0)  # unmapped: no era
    derive_all(database)
    assert drug_eras(cdm) == [
        (3, SORAFENIB, d("2020-01-01"), d("2020-03-10"), 2, 10),
        (3, LENVATINIB, d("2020-01-15"), d("2020-02-15"), 1, 0),
    ]


def test_condition_era_window_and_missing_end(cdm: Cdm, database: Database) -> None:
    cdm.person(4)
    cdm.condition(4, 316866, "2020-01-01", "2020-01-10")
    cdm.condition(4, 316866, "2020-02-09")  # 30 days after 01-10: merged, ends 02-10
    cdm.condition(4, 316866, "2020-03-12", "2020-03-20")  # 31 days after 02-10: new era
    cdm.condition(4, 196523, "2020-01-05", "2020-01-06")
    derive_all(database)
    assert cdm.rows(
        "SELECT condition_concept_id, condition_era_start_date, condition_era_end_date,"
        " condition_occurrence_count FROM cdm.condition_era ORDER BY 1, 2"
    ) == [
        (196523, d("2020-01-05"), d("2020-01-06"), 1),
        (316866, d("2020-01-01"), d("2020-02-10"), 2),
        (316866, d("2020-03-12"), d("2020-03-20"), 1),
    ]


# OHDSI's own formulation (ETL-CMS): count start and padded end events in date order
# (starts first on a tie); an era ends where the ends seen equal the starts seen.
OHDSI_CONDITION_ERA = """
WITH target AS (
    SELECT condition_occurrence_id AS id, person_id, condition_concept_id AS concept,
           condition_start_date AS s, COALESCE(condition_end_date, condition_start_date + 1) AS e
    FROM cdm.condition_occurrence
), events AS (
    SELECT person_id, concept, s AS day, -1 AS kind,
           row_number() OVER (PARTITION BY person_id, concept ORDER BY s) AS start_no
    FROM target
    UNION ALL
    SELECT person_id, concept, e + 30, 1, NULL FROM target
), counted AS (
    SELECT person_id, concept, day,
           max(start_no) OVER (PARTITION BY person_id, concept ORDER BY day, kind
                               ROWS UNBOUNDED PRECEDING) AS starts,
           row_number() OVER (PARTITION BY person_id, concept ORDER BY day, kind) AS n
    FROM events
), ends AS (
    SELECT person_id, concept, day - 30 AS end_date FROM counted WHERE 2 * starts = n
), per_occurrence AS (
    SELECT t.id, t.person_id, t.concept, t.s, min(x.end_date) AS era_end
    FROM target t
    JOIN ends x ON x.person_id = t.person_id AND x.concept = t.concept AND x.end_date >= t.s
    GROUP BY t.id, t.person_id, t.concept, t.s
)
SELECT person_id, concept, min(s), era_end, count(*)
FROM per_occurrence GROUP BY person_id, concept, era_end ORDER BY 1, 2, 3
"""


def test_condition_era_equals_ohdsi_event_counting_on_random_rows(
    cdm: Cdm, database: Database
) -> None:
    rng = random.Random(20240531)
    for person_id in range(1, 41):
        cdm.person(person_id)
        for _ in range(rng.randint(1, 12)):
            start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
            length = rng.choice([None, 0, 1, 5, 29, 30, 31, 60])
            end = None if length is None else (start + dt.timedelta(days=length)).isoformat()
            cdm.condition(person_id, rng.choice([316866, 196523, 140214]), start.isoformat(), end)
    derive_all(database)
    ours = cdm.rows(
        "SELECT person_id, condition_concept_id, condition_era_start_date,"
        " condition_era_end_date, condition_occurrence_count FROM cdm.condition_era"
        " ORDER BY 1, 2, 3"
    )
    assert ours == cdm.rows(OHDSI_CONDITION_ERA)
    assert len(ours) > 100


@pytest.mark.shared
@pytest.mark.slow
def test_condition_era_equals_synthea27nj_published_eras(cdm: Cdm, database: Database) -> None:
    archive = zipfile.ZipFile(shared_path("vocab", "Synthea27Nj_5.4.zip"))
    text = archive.read("CONDITION_OCCURRENCE.csv").decode("utf-8")
    header = next(csv.reader(io.StringIO(text)))
    with (
        cdm.conn.cursor() as cur,
        cur.copy(
            f"COPY cdm.condition_occurrence ({', '.join(header)}) FROM STDIN"  # type: ignore[arg-type]
            " WITH (FORMAT csv, HEADER true)"
        ) as copy,
    ):
        copy.write(text)
    derive_all(database)
    published = sorted(
        (
            int(row["person_id"]),
            int(row["condition_concept_id"]),
            d(row["condition_era_start_date"][:10]),
            d(row["condition_era_end_date"][:10]),
            int(row["condition_occurrence_count"]),
        )
        for row in csv.DictReader(io.StringIO(archive.read("CONDITION_ERA.csv").decode()))
    )
    ours = cdm.rows(
        "SELECT person_id, condition_concept_id, condition_era_start_date,"
        " condition_era_end_date, condition_occurrence_count FROM cdm.condition_era"
        " ORDER BY 1, 2, 3, 4"
    )
    assert len(published) == 469
    assert ours == published
