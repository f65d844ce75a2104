"""`rwe synth` exports: determinism, FHIR validity, manifest, gzip, truth agrees with the files."""

from __future__ import annotations

import csv
import gzip
import hashlib
from datetime import date
from pathlib import Path

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from rwe.errors import BadInputError
from rwe.synth import MessConfig, SynthOptions, SynthResult, synthesize
from tests.synth.reference import derive, latest_versions, merged_state, read_ndjson

HISTOLOGY_CODES = {
    "papillary": "255029007",
    "follicular": "255028004",
    "poorly-differentiated": "724552002",
    "medullary": "255032005",
    "anaplastic": "255031003",
}


def tree_digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(directory)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def read_truth(directory: Path) -> dict[str, dict[str, str]]:
    with open(directory / "patients.csv", newline="") as f:
        return {row["person_id"]: row for row in csv.DictReader(f)}


def all_resources(directory: Path) -> list[dict]:
    """Every NDJSON line (incl. deleted Bundles) and the first 3 patient Bundles (the others
    hold the same resources as the NDJSON files)."""
    out = []
    for path in sorted(directory.rglob("*.ndjson*")):
        out += read_ndjson(path)
    for path in sorted((directory / "bundles").glob("*.json"))[:3]:
        out.append(orjson.loads(path.read_bytes()))
    return out


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    def run(name: str, seed: int) -> str:
        options = SynthOptions(
            patients=15, seed=seed, gzip=True, bundles=True, increment_dir=tmp_path / f"{name}-inc"
        )
        synthesize(tmp_path / name, options)
        return tree_digest(tmp_path / name) + tree_digest(tmp_path / f"{name}-inc")

    first = run("a", 3)
    assert run("b", 3) == first
    assert run("c", 4) != first


def test_workers_write_the_same_bytes(tmp_path: Path) -> None:
    def run(name: str, workers: int) -> str:
        options = SynthOptions(
            patients=120, seed=6, gzip=True, workers=workers, increment_dir=tmp_path / f"{name}i"
        )
        synthesize(tmp_path / name, options)
        return tree_digest(tmp_path / name) + tree_digest(tmp_path / f"{name}i")

    assert run("one", 1) == run("two", 2)
    assert not (tmp_path / "two" / ".synth-parts").exists()


def test_patients_are_the_same_whatever_the_cohort_size(tmp_path: Path) -> None:
    synthesize(tmp_path / "small", SynthOptions(patients=5, seed=2))
    synthesize(tmp_path / "large", SynthOptions(patients=12, seed=2))
    small, large = read_truth(tmp_path / "small"), read_truth(tmp_path / "large")
    assert len(small) == 5 and len(large) == 12
    assert all(large[pid] == row for pid, row in small.items())


@pytest.mark.parametrize("fixture", ["messy_export", "messy_trial_export"])
def test_every_resource_passes_r4b_validation(fixture: str, request: pytest.FixtureRequest) -> None:
    result: SynthResult = request.getfixturevalue(fixture)
    assert result.increment_dir is not None
    resources = all_resources(result.out_dir) + all_resources(result.increment_dir)
    types = {r["resourceType"] for r in resources}
    assert types >= {"Patient", "Condition", "MedicationStatement", "Observation", "Encounter"}
    for r in resources:
        get_fhir_model_class(r["resourceType"]).model_validate(r)


def test_manifest_lists_every_file_with_its_count(messy_export: SynthResult) -> None:
    manifest = orjson.loads((messy_export.out_dir / "manifest.json").read_bytes())
    assert manifest["transactionTime"] == "2021-06-01T02:00:00Z"
    assert manifest["requiresAccessToken"] is False
    assert manifest["deleted"] == [] and manifest["error"] == []
    assert "$export" in manifest["request"]
    assert [o["type"] for o in manifest["output"]] == [
        "Patient", "Encounter", "Condition", "MedicationStatement", "Observation",
    ]  # fmt: skip
    for output in manifest["output"]:
        lines = read_ndjson(messy_export.out_dir / output["url"])
        assert len(lines) == output["count"]
        assert {r["resourceType"] for r in lines} == {output["type"]}
        assert all(r["meta"]["lastUpdated"] <= manifest["transactionTime"] for r in lines)


def test_gzip_round_trip_equals_plain_export(tmp_path: Path) -> None:
    synthesize(tmp_path / "plain", SynthOptions(patients=8, seed=9))
    synthesize(tmp_path / "gz", SynthOptions(patients=8, seed=9, gzip=True))
    for path in sorted((tmp_path / "plain").glob("*.ndjson")):
        packed = (tmp_path / "gz" / (path.name + ".gz")).read_bytes()
        assert gzip.decompress(packed) == path.read_bytes()
    manifest = orjson.loads((tmp_path / "gz" / "manifest.json").read_bytes())
    assert all(o["url"].endswith(".ndjson.gz") for o in manifest["output"])


def test_bundles_hold_each_patients_final_resources(messy_export: SynthResult) -> None:
    latest = latest_versions(messy_export.out_dir)
    by_id = {(t, r["id"]): r for t, items in latest.items() for r in items}
    bundles = sorted((messy_export.out_dir / "bundles").glob("*.json"))
    assert len(bundles) == messy_export.patients
    total = 0
    for path in bundles:
        bundle = orjson.loads(path.read_bytes())
        assert bundle["type"] == "transaction"
        for entry in bundle["entry"]:
            r = entry["resource"]
            assert entry["request"] == {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
            assert by_id[(r["resourceType"], r["id"])] == r  # the newest version of duplicates
            total += 1
    assert total == len(by_id)


@pytest.mark.parametrize("fixture", ["messy_export", "messy_trial_export"])
def test_truth_table_is_what_the_files_say(fixture: str, request: pytest.FixtureRequest) -> None:
    """An independent reading of the messy export recovers patients.csv exactly."""
    result: SynthResult = request.getfixturevalue(fixture)
    cutoff = date.fromisoformat(orjson.loads((result.out_dir / "truth.json").read_bytes())
                                ["export"]["data_cutoff"])  # fmt: skip
    _check_truth(derive(latest_versions(result.out_dir), cutoff), read_truth(result.out_dir))


def test_truth_of_the_increment_is_what_base_plus_increment_say(messy_export: SynthResult) -> None:
    assert messy_export.increment_dir is not None
    truth = orjson.loads((messy_export.increment_dir / "truth.json").read_bytes())
    cutoff = date.fromisoformat(truth["export"]["data_cutoff"])
    assert cutoff == date(2021, 8, 29)  # 90 days after 2021-05-31
    state = merged_state(messy_export.out_dir, messy_export.increment_dir)
    _check_truth(derive(state, cutoff), read_truth(messy_export.increment_dir))


def _check_truth(derived: dict[str, dict], truth: dict[str, dict[str, str]]) -> None:
    assert set(derived) == set(truth)
    markers = 0
    for pid, row in truth.items():
        got = derived[pid]
        for key in ("index_date", "death_date", "sex", "birth_date_written", "stop_reason",
                    "last_contact_date"):  # fmt: skip
            assert got[key] == row[key], (pid, key)
        assert got["ttf_days"] == int(row["ttf_days"]) and got["ttf_event"] == int(row["ttf_event"])
        assert got["histology_code"] == HISTOLOGY_CODES[row["histology"]]
        for key in ("baseline_alc", "nlr", "plr", "lmr"):
            if row[key] == "":
                assert got[key] is None, (pid, key)
            else:
                assert got[key] == pytest.approx(float(row[key]), rel=1e-6), (pid, key)
                markers += 1
    assert markers > 0


def test_clean_export_has_no_mess(tmp_path: Path) -> None:
    synthesize(tmp_path / "x", SynthOptions(patients=20, seed=1, mess=MessConfig.clean()))
    latest = latest_versions(tmp_path / "x")
    lines = sum(len(read_ndjson(p)) for p in (tmp_path / "x").glob("*.ndjson"))
    assert lines == sum(len(v) for v in latest.values())  # no duplicates
    for r in latest["Observation"]:
        assert r["status"] == "final" and r["effectiveDateTime"].endswith("Z")
        assert "dataAbsentReason" not in r
        if r["code"]["coding"][0]["code"] in ("6690-2", "731-0", "751-8", "742-7", "777-3"):
            assert r["valueQuantity"]["code"] == "10*3/uL"
        assert r["code"]["coding"][0]["code"] not in ("736-9", "770-8", "5905-5")
    assert all(len(p["birthDate"]) == 10 for p in latest["Patient"])
    assert all(
        m["status"] in ("active", "completed", "stopped") for m in latest["MedicationStatement"]
    )


def test_bad_options_raise_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="Unknown preset"):
        synthesize(tmp_path / "a", SynthOptions(preset="nope"))
    with pytest.raises(BadInputError, match="--patients is 0"):
        synthesize(tmp_path / "a", SynthOptions(patients=0))
    with pytest.raises(BadInputError, match="--tz-rate is 2"):
        synthesize(tmp_path / "a", SynthOptions(mess=MessConfig(tz_rate=2)))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.txt").write_text("x")
    with pytest.raises(BadInputError, match="is not empty"):
        synthesize(tmp_path / "full", SynthOptions(patients=1))
