"""Mess at the configured rates; the next-night increment: new, updated and deleted resources."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from rwe.synth import SynthResult
from tests.synth.conftest import HEAVY_MESS
from tests.synth.reference import latest_versions, read_ndjson

CBC = {"6690-2", "731-0", "751-8", "742-7", "777-3", "736-9", "770-8", "5905-5"}
DIFFERENTIAL = {"731-0", "751-8", "742-7", "736-9", "770-8", "5905-5"}


def _lines(result: SynthResult, rtype: str) -> list[dict]:
    return read_ndjson(result.out_dir / f"{rtype}.ndjson")


def test_lab_mess_rates(messy_export: SynthResult) -> None:
    latest = latest_versions(messy_export.out_dir)
    labs = [o for o in latest["Observation"]
            if o["code"]["coding"][0]["code"] in CBC and not o["id"].endswith("-x")]  # fmt: skip
    assert len(labs) > 3000
    absent = sum("dataAbsentReason" in o for o in labs) / len(labs)
    other_unit = sum(o.get("valueQuantity", {}).get("code") in ("10*9/L", "/uL") for o in labs)
    diff = [o for o in labs if o["code"]["coding"][0]["code"] in DIFFERENTIAL]
    percent = sum(o.get("valueQuantity", {}).get("code") == "%" for o in diff) / len(diff)
    assert absent == pytest.approx(HEAVY_MESS.absent_rate, abs=0.025)
    assert other_unit / len(labs) == pytest.approx(HEAVY_MESS.unit_rate, abs=0.03)
    assert percent == pytest.approx(HEAVY_MESS.percent_rate, abs=0.03)


def test_percentages_have_a_same_draw_wbc(messy_export: SynthResult) -> None:
    latest = latest_versions(messy_export.out_dir)
    wbc = {(o["subject"]["reference"], o["effectiveDateTime"]) for o in latest["Observation"]
           if o["code"]["coding"][0]["code"] == "6690-2" and o["status"] == "final"
           and "valueQuantity" in o}  # fmt: skip
    percents = [
        o
        for o in latest["Observation"]
        if o.get("valueQuantity", {}).get("code") == "%" and o["status"] == "final"
    ]
    assert percents
    assert all((o["subject"]["reference"], o["effectiveDateTime"]) in wbc for o in percents)


def test_bogus_twins_and_duplicates(messy_export: SynthResult) -> None:
    observations = _lines(messy_export, "Observation")
    status = Counter(o["status"] for o in observations)
    real = status["final"]
    assert status["entered-in-error"] / real == pytest.approx(HEAVY_MESS.error_rate, abs=0.02)
    assert status["cancelled"] / real == pytest.approx(HEAVY_MESS.cancel_rate, abs=0.02)
    conditions = _lines(messy_export, "Condition")
    assert any(c["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
               and "clinicalStatus" not in c for c in conditions)  # fmt: skip
    statuses = {m["status"] for m in _lines(messy_export, "MedicationStatement")}
    assert {"entered-in-error", "not-taken"} <= statuses
    assert "cancelled" in {e["status"] for e in _lines(messy_export, "Encounter")}
    seen: dict[str, dict] = {}
    duplicates = 0
    for o in observations:
        if o["id"] in seen:  # the later line is the newer version
            assert o["meta"]["lastUpdated"] > seen[o["id"]]["meta"]["lastUpdated"]
            duplicates += 1
        seen[o["id"]] = o
    assert duplicates / len(seen) == pytest.approx(HEAVY_MESS.duplicate_rate, abs=0.02)


def test_patient_level_mess(messy_export: SynthResult) -> None:
    patients = latest_versions(messy_export.out_dir)["Patient"]
    partial = sum(len(p["birthDate"]) < 10 for p in patients) / len(patients)
    assert partial == pytest.approx(HEAVY_MESS.partial_birth_rate, abs=0.2)
    assert {len(p["birthDate"]) for p in patients} == {4, 7, 10}
    offsets = Counter()
    for e in latest_versions(messy_export.out_dir)["Encounter"]:
        offsets[e["subject"]["reference"], e["period"]["start"][19:]] += 1
    with_offset = {pid for pid, tz in offsets if tz != "Z"}
    assert len(with_offset) / len(patients) == pytest.approx(HEAVY_MESS.tz_rate, abs=0.2)


def test_truth_json_records_parameters_and_mess(messy_export: SynthResult) -> None:
    truth = orjson.loads((messy_export.out_dir / "truth.json").read_bytes())
    assert truth["mess"]["unit_rate"] == HEAVY_MESS.unit_rate
    assert truth["generator"]["seed"] == 11 and truth["generator"]["patients"] == 50
    model = truth["outcome_models"]["DTC"]
    assert model["lmr_high_os_hr"] == 0.21
    assert model["expected_medians_days"]["os"] == pytest.approx(2002, rel=0.01)
    assert truth["preset"]["markers"]["lmr_median"] == 5.37
    assert {"ttf", "pfs", "os", "last_contact", "baseline"} <= set(truth["definitions"])
    assert truth["counts"]["realized"]["patients"] == 50


def test_increment_has_new_updated_and_deleted_resources(messy_export: SynthResult) -> None:
    inc = messy_export.increment_dir
    assert inc is not None
    base_manifest = orjson.loads((messy_export.out_dir / "manifest.json").read_bytes())
    manifest = orjson.loads((inc / "manifest.json").read_bytes())
    since = base_manifest["transactionTime"]
    assert manifest["request"].endswith(f"&_since={since}")
    assert manifest["transactionTime"] == "2021-08-30T02:00:00Z"
    base = {(t, r["id"]): r for t, rs in latest_versions(messy_export.out_dir).items() for r in rs}
    new = updated = 0
    for output in manifest["output"]:
        for r in read_ndjson(inc / output["url"]):
            assert since < r["meta"]["lastUpdated"] <= manifest["transactionTime"]
            old = base.get((r["resourceType"], r["id"]))
            if old is None:
                new += 1
            else:
                assert r != old and r["meta"]["lastUpdated"] > old["meta"]["lastUpdated"]
                updated += 1
    assert new > 100 and updated > 20
    [deleted_file] = manifest["deleted"]
    assert deleted_file["type"] == "Bundle"
    deletions = []
    for bundle in read_ndjson(inc / deleted_file["url"]):
        assert bundle["type"] == "transaction"
        for entry in bundle["entry"]:
            assert entry["request"]["method"] == "DELETE"
            deletions.append(tuple(entry["request"]["url"].split("/")))
    assert len(deletions) == deleted_file["count"] or len(deletions) >= deleted_file["count"]
    assert deletions and all(key in base for key in deletions)
    statuses = Counter(r["status"] for r in read_ndjson(inc / "MedicationStatement.ndjson"))
    assert statuses["stopped"] + statuses["completed"] > 0  # episodes that ended meanwhile
