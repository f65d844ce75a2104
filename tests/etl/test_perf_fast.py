"""The Observation fast path (rwe.etl.fast) stages exactly what the generic path stages."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from rwe.etl.load import RowBuffer
from rwe.etl.mappings import load_mappings
from rwe.etl.pipeline import Pipeline
from rwe.etl.skip import SkipSet
from rwe.etl.transform import Context
from rwe.etl.vocabulary import memory_vocabulary

CONCEPTS = [
    ("LOINC", "6690-2", 3000905, 3000905, "Measurement"),
    ("LOINC", "72166-2", 4275495, 4275495, "Observation"),
    ("LOINC", "8302-2", 3036277, 3036277, "Condition"),
]
UNITS = {"10*3/uL": 8848, "%": 8554}

BASE: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "p1-o1",
    "meta": {"lastUpdated": "2024-06-01T02:00:00Z"},
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
    "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2", "display": "WBC"}]},
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/p1-e1"},
    "effectiveDateTime": "2020-03-14T08:15:00+02:00",
    "valueQuantity": {
        "value": 6.25,
        "unit": "10*3/uL",
        "system": "http://unitsofmeasure.org",
        "code": "10*3/uL",
    },
}


def _variants() -> list[Any]:
    out: list[Any] = [copy.deepcopy(BASE)]

    def v(change: Any) -> None:
        doc = copy.deepcopy(BASE)
        change(doc)
        out.append(doc)

    v(lambda d: d["valueQuantity"].update(value=7))
    v(lambda d: d["valueQuantity"].update(value=True))
    v(lambda d: d["valueQuantity"].update(value=1e-7))
    v(lambda d: d["valueQuantity"].update(value=123456789012345678901234567890))
    v(lambda d: d["valueQuantity"].update(value=-(1 << 63) - 1))
    v(lambda d: d["valueQuantity"].update(value=(1 << 64) - 1))
    v(lambda d: d["valueQuantity"].update(comparator="<"))
    v(lambda d: d["valueQuantity"].update(code="furlong", unit=None))
    v(lambda d: d["valueQuantity"].update(code="furlong"))
    v(lambda d: d["valueQuantity"].update(code="", unit="cells"))
    v(lambda d: d["valueQuantity"].update(code="mmol/L", unit="mmol/l"))
    v(lambda d: d["valueQuantity"].update(system="http://example.org/units"))
    v(lambda d: d["valueQuantity"].pop("unit"))
    v(lambda d: d["code"]["coding"][0].update(code="72166-2"))
    v(lambda d: d["code"]["coding"][0].update(code="8302-2"))
    v(lambda d: d["code"]["coding"][0].update(code="0000-0"))
    v(lambda d: d["code"]["coding"][0].update(code=""))
    v(lambda d: d["code"]["coding"][0].pop("system"))
    v(lambda d: d["code"]["coding"].append({"system": "http://loinc.org", "code": "72166-2"}))
    v(lambda d: d["code"].update(coding=[], text="free text"))
    v(lambda d: d.pop("code"))
    v(lambda d: d.update(category=[]))
    v(lambda d: d.pop("category"))
    v(lambda d: d["category"][0]["coding"][0].update(code="vital-signs"))
    v(lambda d: d["category"].append({"coding": [{"code": "exam"}]}))
    v(lambda d: d.update(effectiveDateTime="2020-03"))
    v(lambda d: d.update(effectiveDateTime="2020-03-14"))
    v(lambda d: d.update(effectiveDateTime="2020-02-30T08:00:00Z"))
    v(lambda d: d.update(effectiveDateTime="2020-03-14T08:00:00"))
    v(lambda d: d.pop("effectiveDateTime"))
    v(lambda d: d["meta"].update(lastUpdated="yesterday"))
    v(lambda d: d["meta"].update(versionId="3"))
    v(lambda d: d["meta"].update(source="#x"))
    v(lambda d: d.pop("meta"))
    v(lambda d: d.update(status="entered-in-error"))
    v(lambda d: d.update(status="preliminary"))
    v(lambda d: d.update(id="bad_id"))
    v(lambda d: d.pop("id"))
    v(lambda d: d.pop("encounter"))
    v(lambda d: d.update(encounter={"reference": "Patient/p1"}))
    v(lambda d: d.update(encounter={"display": "a visit"}))
    v(lambda d: d.update(subject={"reference": "Group/g1"}))
    v(lambda d: d.update(subject={"reference": "http://x.org/fhir/Patient/p1"}))
    v(lambda d: d.update(subject={"reference": "Patient/p1/_history/2"}))
    v(lambda d: d.update(subject={"reference": "urn:uuid:1234"}))
    v(lambda d: d.update(subject={"display": "nobody"}))
    v(lambda d: d.update(note=[{"text": "n"}]))
    v(lambda d: d.update(referenceRange=[{"low": {"value": 1}, "high": {"value": 9.5}}]))
    v(lambda d: d.update(component=[{"code": d["code"], "valueQuantity": d["valueQuantity"]}]))
    v(lambda d: d.update(valueString="x"))
    v(lambda d: d.update(dataAbsentReason={"text": "n/a"}))
    v(lambda d: d.update(id="p1-o\u00e9"))
    v(lambda d: d["code"]["coding"][0].update(display="caf\u00e9 \u2603"))
    v(lambda d: d.update(resourceType="Condition"))
    out.append([1, 2])
    return out


def _lines(docs: list[Any]) -> list[bytes]:
    lines = []
    for doc in docs:
        lines.append(json.dumps(doc).encode())
        lines.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    rng = random.Random(3)
    for i in range(300):  # a cohort-like mix of the common shape
        doc = copy.deepcopy(BASE)
        doc["id"] = f"p{i % 7}-o{i}"
        doc["valueQuantity"]["value"] = round(rng.gauss(5, 3), rng.choice([0, 1, 2, 7]))
        doc["effectiveDateTime"] = f"2020-0{i % 9 + 1}-1{i % 10}T08:{i % 60:02d}:00+02:00"
        lines.append(json.dumps(doc).encode())
    lines.append(b'{"resourceType": "Observation", "id": "x", "status": "final"')
    lines.append(b'{"resourceType":"Observation","id":"s1","text":"\\ud800"}')
    return lines


def _stage(lines: list[bytes], fast: bool) -> tuple[Any, ...]:
    mappings = load_mappings()
    ctx = Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
    buffer = RowBuffer(limit=1 << 62)
    pipeline = Pipeline(ctx, buffer, SkipSet.empty(), 7)
    if not fast:
        pipeline.fast.parts = lambda line: None  # type: ignore[method-assign]
    todo = [(n, line, hash(line)) for n, line in enumerate(lines, start=1)]
    pipeline.decode_lines(todo, 1)
    counts = pipeline.counts
    return (
        buffer.take(),
        buffer.rows,
        counts.read,
        counts.rejected,
        counts.unsupported,
        ctx.vocabulary.unmapped,
        ctx.vocabulary.unmapped_units,
        ctx.imputed_dates,
        ctx.notes,
        pipeline.occ,
    )


def test_fast_path_stages_what_the_generic_path_stages() -> None:
    lines = _lines(_variants())
    assert _stage(lines, fast=True) == _stage(lines, fast=False)


def test_fast_path_takes_the_common_shape() -> None:
    mappings = load_mappings()
    ctx = Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
    pipeline = Pipeline(ctx, RowBuffer(), SkipSet.empty(), 7)
    assert pipeline.fast.parts(json.dumps(BASE).encode()) is not None
    assert pipeline.fast.parts(json.dumps({**BASE, "note": [{"text": "n"}]}).encode()) is None
