"""The FHIR server source against a local test server: search paging over `next`, bearer token,
retries on 429/5xx, `_history` since the last run (updates and deletions), Bulk `$export` with
polling, download and resume after an interruption."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rwe.db.connection import Database
from rwe.errors import BadInputError
from rwe.etl.extract.http import FhirClient
from rwe.etl.run import EtlOptions, run_etl
from tests.etl.fhir_server import TOKEN, FakeFhir, fhir_server
from tests.etl.helpers import rows
from tests.etl.test_nightly import patient, wbc


def cohort() -> FakeFhir:
    return FakeFhir(
        resources={
            "Patient": [patient("p1"), patient("p2"), patient("p3")],
            "Observation": [wbc("o1", "p1", 1.0), wbc("o2", "p2", 2.0), wbc("o3", "p3", 3.0)],
        }
    )


def options(waits: list[float] | None = None, **kw: object) -> EtlOptions:
    client = FhirClient(TOKEN, sleep=(waits.append if waits is not None else lambda s: None))
    return EtlOptions(max_reject_rate=0.0, extra={"client": client, **kw.pop("extra", {})}, **kw)  # type: ignore[arg-type]


def measurements(database: Database) -> list[float]:
    return sorted(v for (v,) in rows(database, "SELECT value_as_number FROM cdm.measurement"))


def test_search_pages_retries_and_token_from_env(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fhir = cohort()
    fhir.failures = {"/fhir/Observation": [503, 429]}
    monkeypatch.setenv("RWE_FHIR_TOKEN", TOKEN)
    with fhir_server(fhir):
        report = run_etl(database, [fhir.base], EtlOptions(max_reject_rate=0.0))
    assert measurements(database) == [1.0, 2.0, 3.0]
    assert report["resources"]["Patient"]["loaded"] == 3
    pages = [r for r in fhir.requests if r.startswith("/fhir/Observation")]
    assert len(pages) == 4  # 503, 429, then 2 pages over the `next` link
    cursor = rows(database, "SELECT source FROM rwe.source_cursor")
    assert cursor == [(fhir.base,)]


def test_wrong_token_is_a_clear_error(database: Database) -> None:
    with fhir_server(cohort()) as fhir:
        opts = EtlOptions(extra={"client": FhirClient("wrong")})
        with pytest.raises(BadInputError, match=r"answered 401 .* for http://127\.0\.0\.1"):
            run_etl(database, [fhir.base], opts)
    assert rows(database, "SELECT count(*) FROM cdm.person") == [(0,)]


def test_history_since_last_run_brings_updates_and_deletions(database: Database) -> None:
    fhir = cohort()
    with fhir_server(fhir):
        run_etl(database, [fhir.base], options())
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
        fhir.history = [
            {
                "type": "Observation",
                "resource": wbc("o1", "p1", 10.0, later),
                "request": {"method": "PUT", "url": "Observation/o1"},
                "response": {"lastModified": later},
            },
            {
                "type": "Observation",
                "request": {"method": "DELETE", "url": "Observation/o2"},
                "response": {"lastModified": later},
            },
        ]
        report = run_etl(database, [fhir.base], options())
    assert any("/Observation/_history?_since=" in r for r in fhir.requests)
    assert measurements(database) == [3.0, 10.0]
    assert report["deleted"] == 1


def test_bulk_export_polls_downloads_and_resumes(database: Database, tmp_path: Path) -> None:
    fhir = cohort()
    fhir.failures = {"/fhir/files/Observation": [500] * 5}  # the first run's download fails
    waits: list[float] = []
    work = {"work_dir": str(tmp_path / "export")}
    with fhir_server(fhir):
        with pytest.raises(BadInputError, match="kept failing"):
            run_etl(database, [fhir.base], options(waits, bulk_export=True, extra=work))
        assert rows(database, "SELECT count(*) FROM cdm.person") == [(0,)]
        report = run_etl(database, [fhir.base], options(waits, bulk_export=True, extra=work))
    assert fhir.kickoffs == 1  # resumed: no second kick-off
    assert measurements(database) == [1.0, 2.0, 3.0]
    assert report["resources"]["Observation"]["loaded"] == 3
    assert 0.0 in waits  # Retry-After honoured
    assert rows(database, "SELECT since::text FROM rwe.source_cursor") == [
        ("2024-06-01 02:00:00+00",)
    ]


def test_server_without_history_is_searched_by_last_updated(database: Database) -> None:
    fhir = cohort()
    fhir.has_history = False
    with fhir_server(fhir):
        run_etl(database, [fhir.base], options())
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
        fhir.resources["Observation"][0] = wbc("o1", "p1", 11.0, later)
        report = run_etl(database, [fhir.base], options())
    assert any("_lastUpdated=gt" in r for r in fhir.requests)
    assert measurements(database) == [2.0, 3.0, 11.0]
    assert report["resources"]["Observation"]["read"] == 1
