"""Helpers for the ETL tests: write FHIR NDJSON, run the ETL, read OMOP tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rwe.db.connection import Database
from rwe.etl.rows import OMOP_TABLES
from rwe.etl.run import EtlOptions, run_etl

# What a hospital's lab (US Core, Epic/Cerner exports) carries besides the elements its OMOP row
# comes from; the fast path admits it (rwe/etl/fast.py).
HOSPITAL_LAB: dict[str, Any] = {
    "identifier": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.6.798268", "value": "x"}],
    "basedOn": [{"reference": "ServiceRequest/sr1"}],
    "issued": "2020-03-14T09:02:11.819+02:00",
    "performer": [{"reference": "Organization/lab1", "display": "Central Lab"}],
    "interpretation": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    "code": "N",
                }
            ]
        }
    ],
    "specimen": {"reference": "Specimen/s1", "display": "Blood"},
    "note": [{"text": "hemolysed"}],
    "referenceRange": [
        {
            "low": {"value": 4, "unit": "10*3/uL", "system": "http://unitsofmeasure.org"},
            "high": {"value": 10.5, "unit": "10*3/uL", "system": "http://unitsofmeasure.org"},
            "text": "4.0-10.5",
        }
    ],
}

CDM_TABLES = (
    "person",
    "death",
    "observation_period",
    "visit_occurrence",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "observation",
)


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


def etl(database: Database, *sources: Path | str, **options: Any) -> dict[str, Any]:
    opts = EtlOptions(**{"max_reject_rate": 1.0, **options})
    return run_etl(database, [str(s) for s in sources], opts)


def rows(database: Database, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(query, params).fetchall()


def checksums(database: Database) -> dict[str, str]:
    """An md5 of every populated OMOP table's rows, in id order."""
    out = {}
    with database.connect() as conn:
        for table in CDM_TABLES:
            row = conn.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f" FROM cdm.{table} t"
            ).fetchone()
            out[table] = row[0] if row else ""
    return out


def miscounted(database: Database, unknown: bool = False) -> list[tuple[Any, ...]]:
    """Loaded resources whose id-map row_count is not the number of their rows in the OMOP
    event tables (ids key * 1000 + row index); rewritten_key.sql relies on it. `unknown`:
    a count not known (NULL, loaded before migration 0008) is not a wrong one."""
    ids = " UNION ALL ".join(f"SELECT {t}_id / 1000 AS k FROM cdm.{t}" for t in OMOP_TABLES)
    wrong = "<>" if unknown else "IS DISTINCT FROM"
    return rows(
        database,
        "SELECT f.resource_type, f.fhir_id, f.row_count, count(e.k) FROM rwe.fhir_resource f"
        f" LEFT JOIN ({ids}) e ON e.k = f.resource_key WHERE f.state = 'loaded'"
        f" GROUP BY 1, 2, 3 HAVING f.row_count {wrong} count(e.k)",
    )
