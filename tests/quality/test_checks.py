"""Every check passes on clean data and fails on data made to break it (one scenario per type)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from rwe.db.connection import Database
from rwe.quality import Catalogue, Check
from tests.quality.conftest import NON_STANDARD, load_clean, only, run

Breaker = Callable[[psycopg.Connection, Check], None]


def _ident(name: str) -> sql.Composable:
    parts = name.split(".")
    return sql.Identifier(*(parts if len(parts) == 2 else ["cdm", name]))


def _update(conn: psycopg.Connection, check: Check, value: sql.Composable, where: str = "") -> None:
    stmt = sql.SQL("UPDATE {} SET {} = {}").format(
        _ident(check.table), sql.Identifier(str(check.field)), value
    )
    conn.execute(stmt + sql.SQL(where))


def _drop_pk(conn: psycopg.Connection, table: str) -> None:
    conn.execute(
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
            _ident(table), sql.Identifier(f"xpk_{table}")
        )
    )


def _required(conn: psycopg.Connection, check: Check) -> None:
    _drop_pk(conn, check.table)
    conn.execute(
        sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL").format(
            _ident(check.table), sql.Identifier(str(check.field))
        )
    )
    _update(conn, check, sql.SQL("NULL"))


def _primary_key(conn: psycopg.Connection, check: Check) -> None:
    _drop_pk(conn, check.table)
    conn.execute(sql.SQL("INSERT INTO {0} SELECT * FROM {0}").format(_ident(check.table)))


def _datatype(conn: psycopg.Connection, check: Check) -> None:
    conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN bogus_id TEXT").format(_ident(check.table)))


def _domain(conn: psycopg.Connection, check: Check) -> None:
    wrong = 32817 if check.params["value"] != "Type Concept" else 8507
    _update(conn, check, sql.Literal(wrong))


def _persons_without_rows(conn: psycopg.Connection, check: Check) -> None:
    conn.execute(
        "INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth, race_concept_id,"
        " ethnicity_concept_id) SELECT 100 + g, 8507, 1970, 0, 0 FROM generate_series(1, 100) g"
        " ON CONFLICT DO NOTHING"
    )


def _value_low(conn: psycopg.Connection, check: Check) -> None:
    if check.concept_id:
        _update(conn, check, sql.Literal(-5), f" WHERE measurement_concept_id = {check.concept_id}")
    else:
        _update(conn, check, sql.Literal(int(check.params["low"]) - 100))


def _value_high(conn: psycopg.Connection, check: Check) -> None:
    if check.concept_id:
        where = f" WHERE measurement_concept_id = {check.concept_id}"
        _update(conn, check, sql.Literal(10**9), where)
    else:
        _update(conn, check, sql.Literal(int(check.params["high"]) + 5))


def _unit(conn: psycopg.Connection, check: Check) -> None:
    wrong = 8848 if 8554 in check.params["units"] else 8554
    _update(conn, check, sql.Literal(wrong), f" WHERE measurement_concept_id = {check.concept_id}")


def _before_death(conn: psycopg.Connection, check: Check) -> None:
    conn.execute("DELETE FROM cdm.death")
    conn.execute(
        "INSERT INTO cdm.death (person_id, death_date) SELECT person_id, '2001-01-01'"
        " FROM cdm.person"
    )


def _start_after_end(conn: psycopg.Connection, check: Check) -> None:
    end = sql.Identifier(str(check.params["value"]))
    conn.execute(
        sql.SQL("UPDATE {} SET {} = {} + 10 WHERE {} IS NOT NULL").format(
            _ident(check.table), sql.Identifier(str(check.field)), end, end
        )
    )


BREAKERS: dict[str, Breaker] = {
    "cdmDatatype": _datatype,
    "isPrimaryKey": _primary_key,
    "isRequired": _required,
    "isForeignKey": lambda conn, c: _update(conn, c, sql.Literal(999_999_999)),
    "fkDomain": _domain,
    "isStandardValidConcept": lambda conn, c: _update(conn, c, sql.Literal(NON_STANDARD)),
    "standardConceptRecordCompleteness": lambda conn, c: _update(conn, c, sql.Literal(0)),
    "measurePersonCompleteness": _persons_without_rows,
    "personWithoutEvents": _persons_without_rows,
    "plausibleValueLow": _value_low,
    "plausibleValueHigh": _value_high,
    "plausibleUnitConceptIds": _unit,
    "plausibleAfterBirth": lambda conn, c: _update(conn, c, sql.Literal(dt.date(1900, 1, 1))),
    "plausibleBeforeDeath": _before_death,
    "plausibleStartBeforeEnd": _start_after_end,
    "withinVisitDates": lambda conn, c: _update(
        conn, c, sql.SQL("{} + 100").format(sql.Identifier(str(c.field)))
    ),
    "studyBaselineBloodCount": lambda conn, c: conn.execute("DELETE FROM cdm.measurement"),
    "studyMarkerRange": lambda conn, c: conn.execute("UPDATE study.baseline_marker SET lmr = -1"),
    "studyStopReason": lambda conn, c: conn.execute(
        "UPDATE study.sorafenib_episode SET stop_reason = NULL"
    ),
}


def _types(catalogue: Catalogue) -> list[str]:
    return sorted({c.check_type for c in catalogue.checks})


def test_every_check_type_has_a_failing_case(catalogue: Catalogue) -> None:
    assert set(_types(catalogue)) <= set(BREAKERS), "add a breaker for the new check type"


def test_clean_data_passes_every_check(database: Database, catalogue: Catalogue) -> None:
    load_clean(database, catalogue)
    report = run(database, catalogue)
    by_id = {r.check_id: r for r in report.results}
    for check in catalogue.checks:
        r = by_id[check.check_id]
        # applicable (the clean data exercises it) and passed
        assert (r.status, r.error) == ("Passed", None), (check.check_id, r)
        assert r.num_denominator_rows, check.check_id
    assert report.passed


@pytest.mark.parametrize("check_type", _types(__import__("rwe.quality").quality.load_catalogue()))
def test_broken_data_fails_each_check(
    database: Database, catalogue: Catalogue, check_type: str
) -> None:
    load_clean(database, catalogue)
    checks = [c for c in catalogue.checks if c.check_type == check_type]
    with database.transaction() as conn:
        # Other stages' triggers (e.g. derivations marking changed persons) would reject the
        # broken rows this test writes on purpose.
        conn.execute("SET LOCAL session_replication_role = replica")
        for check in checks:
            BREAKERS[check_type](conn, check)
    report = run(database, only(catalogue, [c.check_id for c in checks]))
    for r in report.results:
        if r.check_name == "regression":
            continue
        assert r.status == "Failed", (r.check_id, r)
        assert r.num_violated_rows and r.pct_violated_rows is not None
        assert r.pct_violated_rows > r.threshold_value
    assert report.passed == all(c.severity == "warn" for c in checks)
