"""The Observation fast path (rwe.etl.fast) stages exactly what the generic path stages."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import orjson
import pytest

from rwe.etl import fast
from rwe.etl.load import RowBuffer
from rwe.etl.mappings import load_mappings
from rwe.etl.pipeline import Pipeline
from rwe.etl.skip import SkipSet
from rwe.etl.transform import Context
from rwe.etl.vocabulary import memory_vocabulary
from tests.conftest import shared_path
from tests.etl.helpers import HOSPITAL_LAB

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


# A Synthea lab line (synthea_ndjson samples: every lab Observation has `issued`).
SYNTHEA = (
    b'{"resourceType":"Observation","id":"a7b38940-3cd3-43b1-bba9-6adb6090d1d3","status":"final",'
    b'"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-categ'
    b'ory","code":"vital-signs","display":"vital-signs"}]}],"code":{"coding":[{"system":"http:/'
    b'/loinc.org","code":"8302-2","display":"Body Height"}],"text":"Body Height"},"subject":{"re'
    b'ference":"Patient/2b36c1e2-bbe1-45ae-8124-4adad2677702"},"encounter":{"reference":"Encount'
    b'er/39efc9b8-a75f-43a3-98a2-5bdc1c8207d2"},"effectiveDateTime":"2010-01-09T19:04:32+00:00",'
    b'"issued":"2010-01-09T19:04:32.819+00:00","valueQuantity":{"value":139.9996742575894,"unit"'
    b':"cm","system":"http://unitsofmeasure.org","code":"cm"}}'
)


def _variants() -> list[Any]:
    out: list[Any] = [copy.deepcopy(BASE)]

    def v(change: Any) -> None:
        doc = copy.deepcopy(BASE)
        change(doc)
        out.append(doc)

    v(lambda d: d["valueQuantity"].update(value=7))
    # equal as keys of the fast path's value texts, but written differently
    for value in (7.0, 7, 0.0, -0.0, 0, -0.0, 1e22, 1e22):
        v(lambda d, value=value: d["valueQuantity"].update(value=value))
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
    # what hospital exports and Synthea add to a lab: elements the generic path does not read
    v(lambda d: d.update(HOSPITAL_LAB))
    v(lambda d: d.update(issued="2020-03-14T09:00:00.819+02:00"))
    v(lambda d: d.update(issued="not a date"))  # not read when there is an effectiveDateTime
    v(lambda d: d.update(issued=5))
    v(lambda d: d.update(issued=None))
    v(lambda d: d.update(issued={"a": 1}))
    v(lambda d: d.update(language="en", implicitRules="http://x.org/rules"))
    for name in ("identifier", "basedOn", "partOf", "focus", "performer", "interpretation"):
        v(lambda d, name=name: d.update({name: [{"reference": "X/1"}, "odd", 3]}))
        v(lambda d, name=name: d.update({name: {"reference": "X/1"}}))
        v(lambda d, name=name: d.update({name: None}))
    for name in ("note", "hasMember", "derivedFrom"):
        v(lambda d, name=name: d.update({name: []}))
        v(lambda d, name=name: d.update({name: "x"}))
    for name in ("text", "bodySite", "method", "specimen", "device"):
        v(lambda d, name=name: d.update({name: {"status": "generated", "x": [1, {"y": None}]}}))
        v(lambda d, name=name: d.update({name: []}))
        v(lambda d, name=name: d.update({name: None}))
    v(lambda d: d.update(extension=[{"url": "http://x.org/e", "valueString": "x"}]))
    v(lambda d: d.update(modifierExtension=[{"url": "http://x.org/m", "valueString": "x"}]))
    v(lambda d: d.update(contained=[{"resourceType": "Specimen", "id": "s"}]))
    v(lambda d: d["meta"].update(profile=["http://x.org/p"], tag=[{"code": "t"}], security=[]))
    v(lambda d: d["meta"].update(profile="not an array", extension=[{"url": "u"}]))
    v(lambda d: d["meta"].update(lastUpdated=None))
    v(lambda d: d.update(meta=None))
    v(lambda d: d.update(meta=[]))
    v(lambda d: d.update(encounter=None))
    v(lambda d: d.update(subject=None))
    v(lambda d: d.update(category=None))
    v(lambda d: d.update(code=None))
    v(lambda d: d.update(referenceRange=None))
    v(lambda d: d.update(category={"coding": [{"code": "laboratory"}]}))
    v(lambda d: d["category"][0]["coding"][0].update(code=7))
    v(lambda d: d["category"][0]["coding"].append("odd"))
    v(lambda d: d["category"][0].update(text=3))
    v(lambda d: d["code"].update(coding=None, text="t"))
    v(lambda d: d["code"].update(text=3))
    v(lambda d: d["code"]["coding"][0].update(userSelected=True, version="2.7", display=3))
    # several codings (a hospital's local code beside LOINC): pick_code's choice
    local = {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.768282", "code": "1558"}
    loinc = {"system": "http://loinc.org"}
    for codings in (
        [local, {**loinc, "code": "6690-2"}],  # the one that maps
        [{**loinc, "code": "0000-0"}, local],  # none maps: the known system
        [local, {**loinc, "code": "0000-0"}],
        [local, {"system": "urn:other", "code": "2"}],  # the first
        [local, {**loinc, "code": "72166-2"}, {**loinc, "code": "6690-2"}],
        [{**loinc, "code": "6690-2"}, {**local, "userSelected": True}],
        [{**loinc, "code": "6690-2", "userSelected": False}, {**local, "userSelected": None}],
        [{**loinc, "code": "6690-2"}, {**local, "userSelected": "true"}],
        [local, {**loinc, "code": ""}, {**loinc, "code": "8302-2"}],
        [local, {"system": "http://loinc.org"}],  # the known system has no code
        [{"code": "6690-2"}, {**loinc, "code": "6690-2"}],
        [local, "odd"],
        [local, {**loinc, "code": 6690}],
    ):
        v(lambda d, codings=codings: d["code"].update(coding=codings))
    v(lambda d: d["code"]["coding"][0].update(system=5))
    v(lambda d: d["subject"].update(display="Doe, Jane", type="Patient"))
    v(lambda d: d["subject"].update(identifier={"system": "urn:mrn", "value": "1"}))
    v(lambda d: d["subject"].update(reference=5))
    v(lambda d: d["encounter"].update(identifier={"value": "v1"}, display="visit"))
    v(lambda d: d["valueQuantity"].update(extension=[{"url": "u"}]))
    for ranges in (
        [{"low": {"value": 1}}],
        [{"high": {"value": 2.5, "unit": "x", "system": "s", "code": "c"}}],
        [{"low": {"value": 1e-7, "unit": "%"}, "high": {"value": 12345678.9}, "text": "t"}],
        [{"low": {"value": 3}, "high": {"value": 4}, "type": {"text": "normal"}}, {"low": 1}],
        [{"text": "normal"}],
        [],
        [{"low": {"value": True}}],
        [{"low": {"value": "5"}}],
        [{"low": {"comparator": ">"}}],
        [{"low": None, "high": {"value": 2}}],
        [{"low": [], "high": {"value": 2}}],
        [None],
        ["normal"],
        [{"low": {"value": 123456789012345678901234567890}}],
        [{"high": {"value": -(1 << 63) - 1}}],
        {"low": {"value": 1}},
    ):
        v(lambda d, ranges=ranges: d.update(referenceRange=ranges))
    v(
        lambda d: d.update(
            referenceRange=[{"low": {"value": 1}, "high": {"value": 2}}],
            code={"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
        )
    )
    v(lambda d: d.update(component=[{"code": d["code"], "valueQuantity": d["valueQuantity"]}]))
    v(lambda d: d.update(valueString="x"))
    v(lambda d: d.update(dataAbsentReason={"text": "n/a"}))
    v(lambda d: d.update(id="p1-o\u00e9"))
    v(lambda d: d["code"]["coding"][0].update(display="caf\u00e9 \u2603"))
    v(lambda d: d.update(resourceType="Condition"))
    out.append([1, 2])
    out.append(json.loads(SYNTHEA))
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
    base = json.dumps(BASE)
    for repeated in ('"code": 5, ', '"category": null, ', '"referenceRange": 3, '):
        lines.append(("{" + repeated + base[1:]).encode())  # the later value counts (orjson)
    for depth in (600, 2000):  # orjson reads up to 1,024 levels; msgspec's own limit differs
        deep = "[" * depth + "]" * depth
        lines.append(("{" + f'"category": {deep}, ' + base[1:]).encode())
        lines.append(base.replace('"lastUpdated"', f'"x": {deep}, "lastUpdated"').encode())
    odd = {**BASE, "code": {"coding": [{**BASE["code"]["coding"][0], "display": "cafX"}]}}
    lines.append(json.dumps(odd).encode().replace(b"cafX", b"caf\xe9"))  # not UTF-8
    lines.append(b'{"resourceType":"Observation","id":"s1","text":"\\ud800"}')
    return lines


def _pipeline(buffer: RowBuffer) -> Pipeline:
    """A pipeline on a small in-memory vocabulary, staging into `buffer`."""
    mappings = load_mappings()
    ctx = Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
    return Pipeline(ctx, buffer, SkipSet.empty(), 7)


def _stage(lines: list[bytes], fast: bool) -> tuple[Any, ...]:
    buffer = RowBuffer(limit=1 << 62)
    pipeline = _pipeline(buffer)
    ctx = pipeline.ctx
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


@pytest.mark.parametrize("limit", [None, 1])
def test_fast_path_stages_what_the_generic_path_stages(
    limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if limit is not None:  # 1: every remembered text, date and value text is forgotten
        monkeypatch.setattr(fast, "_TEXTS_MAX", limit)
        monkeypatch.setattr(fast, "_CACHE_MAX", limit)
    lines = _lines(_variants())
    assert _stage(lines, fast=True) == _stage(lines, fast=False)


def test_fast_path_takes_the_common_shape() -> None:
    parts = _pipeline(RowBuffer()).fast.parts
    assert parts(json.dumps(BASE).encode()) is not None
    assert parts(json.dumps({**BASE, **HOSPITAL_LAB}).encode()) is not None
    assert parts(SYNTHEA) is not None
    for other in (
        {"component": [{"code": BASE["code"], "valueQuantity": BASE["valueQuantity"]}]},
        {"extension": [{"url": "http://x.org/e", "valueString": "x"}]},
        {"valueQuantity": {**BASE["valueQuantity"], "comparator": "<"}},
        {"referenceRange": [{"low": {"value": "5"}}]},
        {"issued": 5},
        {"meta": None},
    ):
        assert parts(json.dumps({**BASE, **HOSPITAL_LAB, **other}).encode()) is None, other


@pytest.mark.shared
def test_synthea_labs_take_the_fast_path_and_stage_what_the_generic_path_stages() -> None:
    """Real Synthea NDJSON (../shared): every lab with a valueQuantity takes the fast path."""
    path = shared_path("fhir-samples", "synthea_ndjson", "pathling_encoders_9_patients")
    lines = (path / "Observation.ndjson").read_bytes().splitlines()
    assert _stage(lines, fast=True) == _stage(lines, fast=False)
    parts = _pipeline(RowBuffer()).fast.parts
    labs = [line for line in lines if "valueQuantity" in orjson.loads(line)]
    assert len(labs) > 1000
    assert [line for line in labs if parts(line) is None] == []


def test_lines_without_labs_count_no_observation() -> None:
    """The fast path's per-call count adds no Observation type to a report without any."""
    pipeline = _pipeline(RowBuffer(limit=1 << 62))
    patient = b'{"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"}'
    pipeline.decode_lines([(1, patient, 1)], 1)
    assert dict(pipeline.counts.read) == {"Patient": 1}
