"""OBSERVATION_PERIOD after a nightly increment (rwe/sql/etl/observation_period.sql): a period
only grows when the run removed no event on its first or last date (new bounds from the rows
added); otherwise it is rebuilt from all the person's events. Either way it equals the
definition: first to last recorded event date of each person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rwe.db.connection import Database
from tests.etl.helpers import etl, rows, write_ndjson
from tests.etl.test_nightly import patient, wbc

NIGHT1 = "2024-01-01T00:00:00Z"  # the lastUpdated of test_nightly.patient/wbc
NIGHT2 = "2024-02-01T00:00:00Z"


def lab(oid: str, pid: str, day: str, updated: str = NIGHT1, value: float = 5.0) -> dict[str, Any]:
    return wbc(oid, pid, value, updated, effectiveDateTime=f"{day}T12:00:00Z")


def condition(cid: str, pid: str, onset: str, abatement: str, updated: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "meta": {"lastUpdated": updated},
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "363478007"}]},
        "onsetDateTime": f"{onset}T12:00:00Z",
        "abatementDateTime": f"{abatement}T12:00:00Z",
    }


def periods(database: Database) -> dict[str, tuple[str, str]]:
    """Patient id -> (first, last) date of its period."""
    return {
        pid: (str(start), str(end))
        for pid, start, end in rows(
            database,
            "SELECT f.fhir_id, o.observation_period_start_date, o.observation_period_end_date"
            " FROM cdm.observation_period o JOIN rwe.fhir_resource f"
            "   ON f.resource_type = 'Patient' AND f.resource_key * 1000 = o.person_id",
        )
    }


def by_definition(database: Database) -> dict[str, tuple[str, str]]:
    """The same, computed from every event row (the oracle)."""
    spans = rows(
        database,
        """SELECT f.fhir_id, min(e.a), max(e.b) FROM (
             SELECT person_id, measurement_date a, measurement_date b FROM cdm.measurement
             UNION ALL SELECT person_id, observation_date, observation_date FROM cdm.observation
             UNION ALL SELECT person_id, condition_start_date,
                              greatest(condition_start_date, condition_end_date)
                         FROM cdm.condition_occurrence
             UNION ALL SELECT person_id, drug_exposure_start_date,
                              greatest(drug_exposure_start_date, verbatim_end_date)
                         FROM cdm.drug_exposure
             UNION ALL SELECT person_id, visit_start_date, visit_end_date
                         FROM cdm.visit_occurrence) e
           JOIN cdm.person p ON p.person_id = e.person_id
           JOIN rwe.fhir_resource f ON f.resource_type = 'Patient'
                                   AND f.resource_key * 1000 = p.person_id
          GROUP BY f.fhir_id""",
    )
    return {pid: (str(a), str(b)) for pid, a, b in spans}


def test_increment_grows_or_rebuilds_each_touched_period(
    database: Database, tmp_path: Path
) -> None:
    night1 = tmp_path / "night1"
    write_ndjson(night1 / "Patient.ndjson", [patient(f"p{i}") for i in range(1, 10)])
    write_ndjson(
        night1 / "Observation.ndjson",
        [
            lab("a1", "p1", "2023-01-10"),
            lab("a2", "p1", "2023-06-10"),
            lab("b1", "p2", "2023-01-05"),
            lab("b2", "p2", "2023-04-04"),
            lab("b3", "p2", "2023-08-08"),
            lab("c1", "p3", "2023-02-02"),
            lab("c2", "p3", "2023-05-05"),
            lab("c3", "p3", "2023-09-09"),
            lab("d1", "p4", "2023-02-01"),
            lab("d2", "p4", "2023-07-07"),
            lab("e1", "p5", "2023-03-03"),
            lab("f1", "p6", "2023-03-03"),
            lab("h1", "p8", "2023-02-02"),
            lab("h2", "p8", "2023-09-09"),
            lab("i1", "p9", "2023-06-06"),
        ],
    )
    write_ndjson(
        night1 / "Condition.ndjson",
        [condition("k1", "p9", "2023-01-01", "2023-12-31", NIGHT1)],
    )
    etl(database, night1)
    assert periods(database)["p9"] == ("2023-01-01", "2023-12-31")

    night2 = tmp_path / "night2"
    write_ndjson(night2 / "Patient.ndjson", [patient("p7")])
    write_ndjson(
        night2 / "Observation.ndjson",
        [
            lab("a3", "p1", "2023-12-24", NIGHT2),  # a later lab: the period grows
            lab("c2", "p3", "2023-05-05", NIGHT2, value=9.0),  # replaced inside: unchanged
            lab("d2", "p5", "2023-07-07", NIGHT2),  # moved: p4 shrinks, p5 grows
            lab("g1", "p7", "2023-04-01", NIGHT2),  # a new person
            lab("h2", "p8", "2023-10-10", NIGHT2),  # its last date moves later
        ],
    )
    write_ndjson(  # its end moves earlier: the period shrinks
        night2 / "Condition.ndjson",
        [condition("k1", "p9", "2023-01-01", "2023-07-07", NIGHT2)],
    )
    write_ndjson(
        night2 / "deleted" / "del.ndjson",
        [
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {"request": {"method": "DELETE", "url": "Observation/b1"}},  # p2's first
                    {"request": {"method": "DELETE", "url": "Patient/p6"}},
                ],
            }
        ],
    )
    outputs = [
        {"type": kind, "url": f"{kind}.ndjson"} for kind in ("Patient", "Observation", "Condition")
    ]
    (night2 / "manifest.json").write_text(
        json.dumps(
            {
                "transactionTime": NIGHT2,
                "request": "x",
                "requiresAccessToken": False,
                "output": outputs,
                "deleted": [{"type": "Bundle", "url": "deleted/del.ndjson"}],
                "error": [],
            }
        )
    )
    report = etl(database, night2)
    assert report["balanced"] and report["rejected"] == 0

    assert periods(database) == {
        "p1": ("2023-01-10", "2023-12-24"),
        "p2": ("2023-04-04", "2023-08-08"),
        "p3": ("2023-02-02", "2023-09-09"),
        "p4": ("2023-02-01", "2023-02-01"),
        "p5": ("2023-03-03", "2023-07-07"),
        "p7": ("2023-04-01", "2023-04-01"),
        "p8": ("2023-02-02", "2023-10-10"),
        "p9": ("2023-01-01", "2023-07-07"),
    }
    assert periods(database) == by_definition(database)
