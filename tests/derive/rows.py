"""Hand-built CDM rows for derive scenarios: small helpers that insert one row each."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import psycopg

from rwe.db.connection import Database

SORAFENIB = 1363387
SORAFENIB_PRODUCT = 2000000901  # a test-only sorafenib product, rolled up by concept_ancestor
EHR = 32817
_ids = itertools.count(1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Cdm:
    """Insert CDM rows into `db` (one connection, autocommit)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: psycopg.Connection = db.connect(autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def insert(self, table: str, **values: Any) -> None:
        cols = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        self.conn.execute(
            f"INSERT INTO cdm.{table} ({cols}) VALUES ({marks})",  # type: ignore[arg-type]
            tuple(values.values()),
        )

    def rows(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(query, args).fetchall()  # type: ignore[arg-type]

    def dicts(self, query: str, *args: Any) -> list[dict[str, Any]]:
        cur = self.conn.execute(query, args)  # type: ignore[arg-type]
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def person(self, person_id: int, year: int = 1950, gender: int = 8532, **kw: Any) -> None:
        self.insert(
            "person",
            person_id=person_id,
            gender_concept_id=gender,
            year_of_birth=year,
            race_concept_id=0,
            ethnicity_concept_id=0,
            **kw,
        )

    def sorafenib_product(self) -> None:
        """A branded product below the ingredient, as a real vocabulary has."""
        self.insert(
            "concept",
            concept_id=SORAFENIB_PRODUCT,
            concept_name="sorafenib 200 MG Oral Tablet (test)",
            domain_id="Drug",
            vocabulary_id="RxNorm",
            concept_class_id="Clinical Drug",
            standard_concept="S",
            concept_code="test-597747",
            valid_start_date=d("1970-01-01"),
            valid_end_date=d("2099-12-31"),
        )
        self.insert(
            "concept_ancestor",
            ancestor_concept_id=SORAFENIB,
            descendant_concept_id=SORAFENIB_PRODUCT,
            min_levels_of_separation=1,
            max_levels_of_separation=1,
        )

    def exposure(
        self,
        person_id: int,
        start: str,
        end: str | None,
        days_supply: int | None = None,
        stop_reason: str | None = None,
        concept: int = SORAFENIB,
    ) -> int:
        exposure_id = next(_ids)
        self.insert(
            "drug_exposure",
            drug_exposure_id=exposure_id,
            person_id=person_id,
            drug_concept_id=concept,
            drug_exposure_start_date=d(start),
            drug_exposure_end_date=d(end) if end else None,
            drug_type_concept_id=32838,
            days_supply=days_supply,
            stop_reason=stop_reason,
        )
        return exposure_id

    def condition(self, person_id: int, concept: int, start: str, end: str | None = None) -> int:
        occurrence_id = next(_ids)
        self.insert(
            "condition_occurrence",
            condition_occurrence_id=occurrence_id,
            person_id=person_id,
            condition_concept_id=concept,
            condition_start_date=d(start),
            condition_end_date=d(end) if end else None,
            condition_type_concept_id=EHR,
        )
        return occurrence_id

    def measurement(
        self,
        person_id: int,
        concept: int,
        when: str,
        value: float | None = None,
        unit: int | None = None,
        value_concept: int | None = None,
        range_high: float | None = None,
    ) -> int:
        measurement_id = next(_ids)
        moment = dt.datetime.fromisoformat(when)
        self.insert(
            "measurement",
            measurement_id=measurement_id,
            person_id=person_id,
            measurement_concept_id=concept,
            measurement_date=moment.date(),
            measurement_datetime=moment if "T" in when or " " in when else None,
            measurement_type_concept_id=EHR,
            value_as_number=value,
            unit_concept_id=unit,
            value_as_concept_id=value_concept,
            range_high=range_high,
        )
        return measurement_id

    def observation(
        self,
        person_id: int,
        concept: int,
        when: str,
        value: float | None = None,
        event_id: int | None = None,
        event_field: int | None = None,
    ) -> int:
        observation_id = next(_ids)
        self.insert(
            "observation",
            observation_id=observation_id,
            person_id=person_id,
            observation_concept_id=concept,
            observation_date=d(when),
            observation_type_concept_id=EHR,
            value_as_number=value,
            observation_event_id=event_id,
            obs_event_field_concept_id=event_field,
        )
        return observation_id

    def death(self, person_id: int, when: str) -> None:
        self.insert("death", person_id=person_id, death_date=d(when), death_type_concept_id=EHR)

    def observation_period(self, person_id: int, start: str, end: str) -> None:
        self.insert(
            "observation_period",
            observation_period_id=next(_ids),
            person_id=person_id,
            observation_period_start_date=d(start),
            observation_period_end_date=d(end),
            period_type_concept_id=EHR,
        )
