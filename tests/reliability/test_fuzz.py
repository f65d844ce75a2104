"""Fuzzed input: mutations of valid resources (wrong types, missing fields, huge numbers, deep
nesting, invalid UTF-8, duplicated ids, references to nowhere, wrong resourceType) and every
invalid case of ../shared/fhir-samples/invalid/: no crash, and every record read is loaded,
rejected with a reason or excluded by a documented rule; the counts reconcile."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwe.db.connection import Database
from rwe.errors import ExitCode
from rwe.etl.report import OLDER, SUPERSEDED
from rwe.etl.run import EtlOptions, run_etl
from tests.conftest import shared_path
from tests.reliability.state import rows, rwe_etl

PATIENT = {
    "resourceType": "Patient",
    "id": "fz-p1",
    "meta": {"lastUpdated": "2021-03-01T10:00:00Z"},
    "gender": "female",
    "birthDate": "1960-04-02",
}
SEEDS: list[dict[str, Any]] = [
    PATIENT,
    {
        "resourceType": "Observation",
        "id": "fz-o1",
        "meta": {"lastUpdated": "2021-03-02T10:00:00Z"},
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2"}]},
        "subject": {"reference": "Patient/fz-p1"},
        "effectiveDateTime": "2021-03-02T08:00:00Z",
        "valueQuantity": {
            "value": 6.2,
            "unit": "10*3/uL",
            "system": "http://unitsofmeasure.org",
            "code": "10*3/uL",
        },
    },
    {
        "resourceType": "Condition",
        "id": "fz-c1",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
        "subject": {"reference": "Patient/fz-p1"},
        "onsetDateTime": "2020-01-05T00:00:00Z",
    },
    {
        "resourceType": "Encounter",
        "id": "fz-e1",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
        "subject": {"reference": "Patient/fz-p1"},
        "period": {"start": "2021-03-02T08:00:00Z", "end": "2021-03-02T09:00:00Z"},
    },
    {
        "resourceType": "MedicationStatement",
        "id": "fz-m1",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}]
        },
        "subject": {"reference": "Patient/fz-p1"},
        "effectivePeriod": {"start": "2021-01-01", "end": "2021-02-01"},
    },
]
DEEP = "__deep__"
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([1e308, -1e308, 10**30, 2**63, -(2**63) - 1, 0.0]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
# Rules under which a read record is neither loaded nor rejected (rwe/etl/README.md).
DOCUMENTED_EXCLUSIONS = re.compile(
    r"^(resource type not loaded by rwe|status |verificationStatus |intent |"
    + re.escape(SUPERSEDED)
    + "|"
    + re.escape(OLDER)
    + ")"
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside a resource."""
    out = []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return out
    for key, child in items:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


@st.composite
def mutated_line(draw: st.DrawFn) -> bytes:
    """One NDJSON line: a valid resource with one mutation (or none)."""
    resource = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    kind = draw(
        st.sampled_from(
            ["none", "type", "drop", "huge", "deep", "utf8", "dangling", "resource_type", "id"]
        )
    )
    where = draw(st.sampled_from(paths(resource)))
    parent: Any = resource
    for key in where[:-1]:
        parent = parent[key]
    last = where[-1]
    if kind == "type":
        parent[last] = draw(ODD_VALUES)
    elif kind == "drop":
        del parent[last]
    elif kind == "huge":
        parent[last] = draw(st.sampled_from([10**400, 1e308, -(2**64), 10**20]))
    elif kind == "deep":
        parent[last] = DEEP
    elif kind == "dangling" and "subject" in resource:
        resource["subject"] = {"reference": draw(st.sampled_from(["Patient/nowhere", "x", ""]))}
    elif kind == "resource_type":
        resource["resourceType"] = draw(st.sampled_from(["Banana", "", "Observation", 7, None]))
    elif kind == "id":
        resource["id"] = draw(st.sampled_from(["fz-p1", "fz-o1", "bad id!", "", "x" * 70]))
    try:
        line = json.dumps(resource)
    except ValueError:  # 10**400 as a JSON number is fine; anything json refuses, skip it
        line = json.dumps(PATIENT)
    depth = draw(st.integers(min_value=50, max_value=3000))
    data = line.replace(json.dumps(DEEP), "[" * depth + "1" + "]" * depth).encode()
    if kind == "utf8":
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
        data += data[cut:]
    return data.replace(b"\n", b" ")


def check_run(database: Database, report: dict[str, Any], lines: int) -> None:
    """The run's counts reconcile: per type, read = loaded + rejected + excluded; every reject is
    stored with a reason; every exclusion has a documented reason."""
    run_id = report["run_id"]
    assert report["read"] == lines
    for kind, counts in report["resources"].items():
        assert counts["balanced"], (kind, counts)
        assert counts["read"] == counts["loaded"] + counts["rejected"] + counts["excluded"]
        for reason in counts["excluded_by_reason"]:
            assert DOCUMENTED_EXCLUSIONS.match(reason), (kind, reason)
    stored = rows(database, "SELECT reason FROM rwe.reject WHERE run_id = %s", run_id)
    assert len(stored) == report["rejected"]
    assert all(reason and reason.strip() for (reason,) in stored)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(mutated_line(), min_size=1, max_size=12))
def test_mutated_resources_are_loaded_rejected_or_excluded(
    database: Database, tmp_path: Path, lines: list[bytes]
) -> None:
    source = tmp_path / "fuzz.ndjson"
    source.write_bytes(b"".join(line + b"\n" for line in lines))
    report = run_etl(database, [str(source)], EtlOptions(max_reject_rate=1.0))
    check_run(database, report, sum(1 for line in lines if line.strip()))


def test_every_invalid_sample_is_accounted_for(database: Database) -> None:
    folder = shared_path("fhir-samples", "invalid")
    result = rwe_etl(database, str(folder))  # the default --max-reject-rate: refused, exit 3
    assert result.returncode in (ExitCode.OK, ExitCode.BAD_INPUT), result.stderr
    assert "Traceback" not in result.stderr
    loaded = rwe_etl(database, str(folder), "--max-reject-rate", "1")
    assert loaded.returncode == ExitCode.OK, loaded.stderr
    assert "Traceback" not in loaded.stderr
    for (report,) in rows(database, "SELECT report FROM rwe.run ORDER BY run_id"):
        assert report["balanced"]
        # every file holding anything yields at least one record read
        assert report["read"] >= sum(1 for p in folder.rglob("*") if p.is_file() and _holds(p))
        check_run(database, report, report["read"])


def _holds(path: Path) -> bool:
    return bool(path.read_bytes().strip())
