"""A small, independent reading of a synth export: what a correct ETL + derivation recovers.

Written from the FHIR conventions (not from rwe.synth's internals) so that comparing it with
patients.csv checks the export and its truth table against each other."""

from __future__ import annotations

import gzip
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

INVALID = {"entered-in-error", "cancelled", "not-taken"}
COUNT = {"6690-2": "wbc", "731-0": "lym", "751-8": "neu", "742-7": "mon", "777-3": "plt"}
PERCENT = {"736-9": "lym", "770-8": "neu", "5905-5": "mon"}
FACTOR = {"10*3/uL": 1000, "10*9/L": 1000, "/uL": 1}


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return [orjson.loads(line) for line in data.splitlines()]


def latest_versions(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Resources by type, one per id: the newest meta.lastUpdated wins."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.ndjson*")):
        best: dict[str, dict[str, Any]] = {}
        for r in read_ndjson(path):
            old = best.get(r["id"])
            if old is None or r["meta"]["lastUpdated"] > old["meta"]["lastUpdated"]:
                best[r["id"]] = r
        out[path.name.split(".")[0]] = list(best.values())
    return out


def utc(value: str) -> datetime:
    """A FHIR dateTime (with offset or Z) or date as a UTC datetime."""
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _valid(r: dict[str, Any]) -> bool:
    if r["resourceType"] == "Condition":
        return r["verificationStatus"]["coding"][0]["code"] != "entered-in-error"
    return r.get("status") not in INVALID


def derive(resources: dict[str, list[dict[str, Any]]], cutoff: date) -> dict[str, dict[str, Any]]:
    """Per patient id: index date, death date, histology code, baseline markers, TTF, contact."""
    by_patient: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for rtype, items in resources.items():
        for r in items:
            if rtype == "Patient":
                by_patient[r["id"]]["Patient"].append(r)
            elif _valid(r):
                by_patient[r["subject"]["reference"].split("/")[1]][rtype].append(r)
    return {pid: _derive_patient(res, cutoff) for pid, res in by_patient.items()}


def _derive_patient(res: dict[str, list[dict[str, Any]]], cutoff: date) -> dict[str, Any]:
    patient = res["Patient"][0]
    meds = sorted(res["MedicationStatement"], key=lambda m: m["effectivePeriod"]["start"])
    index = date.fromisoformat(meds[0]["effectivePeriod"]["start"])
    last = meds[-1]
    stopped = last["status"] == "stopped"
    out: dict[str, Any] = {
        "index_date": index.isoformat(),
        "death_date": patient.get("deceasedDateTime", "")[:10],
        "sex": patient["gender"],
        "birth_date_written": patient["birthDate"],
        "stop_reason": last["statusReason"][0]["coding"][0]["code"] if stopped else "",
        "ttf_event": int(stopped),
    }
    end = date.fromisoformat(last["effectivePeriod"]["end"]) if stopped else cutoff
    out["ttf_days"] = (end - index).days
    histology = [
        c["code"]["coding"][0]["code"]
        for c in res["Condition"]
        if c["code"]["coding"][0]["code"] in {"255029007", "255028004", "724552002", "255032005",
                                              "255031003"}
    ]  # fmt: skip
    out["histology_code"] = histology[0] if len(histology) == 1 else None
    out.update(_baseline(res["Observation"], index))
    out["last_contact_date"] = _last_contact(res, cutoff).isoformat()
    return out


def _baseline(observations: list[dict[str, Any]], index: date) -> dict[str, Any]:
    wbc_at: dict[datetime, float] = {}
    values: dict[str, list[tuple[datetime, float | str]]] = defaultdict(list)
    for o in observations:
        code = o["code"]["coding"][0]["code"]
        if code not in COUNT and code not in PERCENT:
            continue
        when = utc(o["effectiveDateTime"])
        if not 0 <= (index - when.date()).days <= 30 or "valueQuantity" not in o:
            continue
        q = o["valueQuantity"]
        if code in PERCENT:
            values[PERCENT[code]].append((when, f"%{q['value']}"))
        else:
            cells = q["value"] * FACTOR[q["code"]]
            values[COUNT[code]].append((when, cells))
            if code == "6690-2":
                wbc_at[when] = cells
    # one draw (same datetime): the nearest complete one (lym, neu, mon, plt), else the nearest
    draws: dict[datetime, dict[str, float]] = defaultdict(dict)
    for analyte, candidates in values.items():
        for when, value in candidates:
            if isinstance(value, str):  # a percentage: times the same-draw WBC
                value = float(value[1:]) * wbc_at[when] / 100
            draws[when][analyte] = value
    usable = [w for w in sorted(draws, reverse=True) if set(draws[w]) - {"wbc"}]
    complete = [w for w in usable if {"lym", "neu", "mon", "plt"} <= set(draws[w])]
    chosen = draws[(complete or usable)[0]] if usable else {}
    lym, neu, mon, plt = (chosen.get(k) for k in ("lym", "neu", "mon", "plt"))
    return {
        "baseline_alc": lym,
        "nlr": neu / lym if neu is not None and lym else None,
        "plr": plt / lym if plt is not None and lym else None,
        "lmr": lym / mon if lym is not None and mon else None,
    }


def _last_contact(res: dict[str, list[dict[str, Any]]], cutoff: date) -> date:
    days: list[date] = []
    for e in res["Encounter"]:
        days.append(utc(e["period"]["start"]).date())
        if "end" in e["period"]:
            days.append(utc(e["period"]["end"]).date())
    days += [utc(o["effectiveDateTime"]).date() for o in res["Observation"]]
    for c in res["Condition"]:
        days.append(date.fromisoformat(c["onsetDateTime"]))
        if "abatementDateTime" in c:
            days.append(date.fromisoformat(c["abatementDateTime"]))
    for m in res["MedicationStatement"]:
        days.append(date.fromisoformat(m["effectivePeriod"]["start"]))
        end = m["effectivePeriod"].get("end")
        if end:
            days.append(date.fromisoformat(end))
    return min(max(days), cutoff)


def merged_state(base: Path, increment: Path) -> dict[str, list[dict[str, Any]]]:
    """The server state after loading `base` then the `increment` (updates, deletions)."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for directory in (base, increment):
        for rtype, items in latest_versions(directory).items():
            for r in items:
                key = (rtype, r["id"])
                old = state.get(key)
                if old is None or r["meta"]["lastUpdated"] > old["meta"]["lastUpdated"]:
                    state[key] = r
    for path in sorted((increment / "deleted").glob("*.ndjson*")):
        for bundle in read_ndjson(path):
            for entry in bundle["entry"]:
                rtype, rid = entry["request"]["url"].split("/")
                state.pop((rtype, rid), None)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (rtype, _), r in state.items():
        out[rtype].append(r)
    return out
