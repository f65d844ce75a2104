"""Issue #5: on a `rwe synth --preset dtc-2021` cohort, ETL + derive recover the ground truth
(patients.csv) exactly, per patient and per column, also after the next night's increment.

Columns of patients.csv compared here (every one the derivations produce): index_date,
included, ttf_days/ttf_event, stop_reason, pfs_days/pfs_event, os_days/os_event, death_date,
last_contact_date, baseline ALC/NLR/PLR/LMR (1e-9 relative), the four high/low groups,
best_response, clinical_benefit, age_at_index, sex, ecog_baseline, histology, metastases,
symptomatic, locally_advanced/recurrence, anti_tg_positive, adverse_events (term:max grade),
max_sld_reduction_pct.

Not compared, by construction: birth_date (the export may write only `1954` or `1954-03`;
age_at_index is defined on the written date), race (not a study variable), baseline WBC,
neutrophils, monocytes and platelets one by one (only the ratios are study variables; they are
covered through NLR/PLR/LMR), n_dose_segments (the study has no per-segment table), arm/
patient_number (generator bookkeeping), anti_tg_iu_ml (only the positive flag is derived).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from rwe.db.connection import Database
from rwe.derive import derive_all
from rwe.derive.params import DeriveParams
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize

# Derived values per FHIR Patient id, in the vocabulary of patients.csv.
_DERIVED = """
SELECT
    f.fhir_id,
    o.index_date, o.included, o.ttf_days, o.ttf_event,
    COALESCE(o.discontinuation_reason, '') AS stop_reason,
    o.pfs_days, o.pfs_event, o.os_days, o.os_event, o.death_date, o.last_contact_date,
    b.alc, b.nlr, b.plr, b.lmr,
    r.best_overall_response, r.cbr, r.max_tumor_shrinkage_pct,
    c.age_at_index, c.sex, c.ecog_baseline, c.histology, c.diagnosis,
    c.metastasis_bone, c.metastasis_lung, c.metastasis_lymph_node, c.symptomatic,
    c.anti_tg_positive,
    (SELECT string_agg(a.term || ':' || COALESCE(a.max_grade::text, ''), '|' ORDER BY a.term)
       FROM study.sorafenib_adverse_event a WHERE a.person_id = o.person_id) AS adverse_events
FROM study.sorafenib_outcome o
JOIN rwe.fhir_resource f ON f.resource_type = 'Patient' AND f.person_id = o.person_id
LEFT JOIN study.baseline_marker b ON b.person_id = o.person_id
LEFT JOIN study.sorafenib_response r ON r.person_id = o.person_id
LEFT JOIN study.sorafenib_characteristic c ON c.person_id = o.person_id
"""
_TERMS = {"hand-foot-skin-reaction": "hand-foot skin reaction", "weight-loss": "weight loss",
          "interstitial-pneumonia": "interstitial pneumonia",
          "gi-hemorrhage": "gastrointestinal hemorrhage"}  # fmt: skip
_HISTOLOGY = {"poorly-differentiated": "poorly differentiated"}
_CUTOFFS = {"alc": 1500.0, "nlr": 3.0, "plr": 150.0, "lmr": 4.0}
_EXACT = (
    "index_date", "included", "ttf_days", "ttf_event", "stop_reason", "pfs_days", "pfs_event",
    "os_days", "os_event", "death_date", "last_contact_date", "best_response",
    "clinical_benefit", "age_at_index", "sex", "ecog_baseline", "histology", "locally_advanced",
    "recurrence", "bone_metastasis", "lung_metastasis", "lymph_node_metastasis", "symptomatic",
    "anti_tg_positive", "adverse_events", "max_sld_reduction_pct", "alc_high", "nlr_high",
    "plr_high", "lmr_high",
)  # fmt: skip


def _flag(value: Any) -> str:
    return "" if value is None else str(int(bool(value)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _derived(database: Database) -> dict[str, dict[str, Any]]:
    with database.connect() as conn:
        cur = conn.execute(_DERIVED)
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        terms = []
        for item in (r["adverse_events"] or "").split("|") if r["adverse_events"] else []:
            term, grade = item.rsplit(":", 1)
            terms.append((term, grade))
        shrink = r["max_tumor_shrinkage_pct"]
        d: dict[str, Any] = {
            "index_date": _text(r["index_date"]),
            "included": _flag(r["included"]),
            "ttf_days": str(r["ttf_days"]),
            "ttf_event": str(r["ttf_event"]),
            "stop_reason": r["stop_reason"],
            "pfs_days": str(r["pfs_days"]),
            "pfs_event": str(r["pfs_event"]),
            "os_days": str(r["os_days"]),
            "os_event": str(r["os_event"]),
            "death_date": _text(r["death_date"]),
            "last_contact_date": _text(r["last_contact_date"]),
            "best_response": _text(r["best_overall_response"]),
            "clinical_benefit": _flag(r["cbr"]),
            "age_at_index": _text(r["age_at_index"]),
            "sex": _text(r["sex"]),
            "ecog_baseline": _text(r["ecog_baseline"]),
            "histology": _text(r["histology"]),
            "locally_advanced": _flag(r["diagnosis"] == "locally advanced"),
            "recurrence": _flag(r["diagnosis"] == "recurrence"),
            "bone_metastasis": _flag(r["metastasis_bone"]),
            "lung_metastasis": _flag(r["metastasis_lung"]),
            "lymph_node_metastasis": _flag(r["metastasis_lymph_node"]),
            "symptomatic": _flag(r["symptomatic"]),
            "anti_tg_positive": _flag(r["anti_tg_positive"]),
            "adverse_events": sorted(terms),
            # patients.csv writes the percentage rounded to 0.1
            "max_sld_reduction_pct": "" if shrink is None else f"{round(float(shrink), 1)}",
        }
        for marker, cutoff in _CUTOFFS.items():
            value = r[marker]
            d[marker] = None if value is None else float(value)
            d[f"{marker}_high"] = "" if value is None else str(int(float(value) >= cutoff - 1e-9))
        out[r["fhir_id"]] = d
    return out


def _expected(row: dict[str, str]) -> dict[str, Any]:
    e: dict[str, Any] = {k: row[k] for k in _EXACT if k in row}
    e["histology"] = _HISTOLOGY.get(row["histology"], row["histology"])
    e["adverse_events"] = sorted(
        (_TERMS.get(t, t), g)
        for t, g in (item.rsplit(":", 1) for item in row["adverse_events"].split("|") if item)
    )
    if row["max_sld_reduction_pct"]:
        e["max_sld_reduction_pct"] = f"{float(row['max_sld_reduction_pct'])}"
    e["alc"] = float(row["baseline_alc"]) if row["baseline_alc"] else None
    for marker in ("nlr", "plr", "lmr"):
        e[marker] = float(row[marker]) if row[marker] else None
    return e


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    # patients.csv writes the markers unrounded (repr): 1e-9 relative covers float noise of
    # the unit factors (e.g. 3.04 x 1000) and of the percent conversion order
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def mismatches(export: Path, database: Database) -> list[str]:
    """Every (patient, column) where the derived value differs from patients.csv."""
    truth = json.loads((export / "truth.json").read_text())
    with (export / "patients.csv").open() as fh:
        expected = {r["person_id"]: _expected(r) for r in csv.DictReader(fh)}
    derived = _derived(database)
    problems = []
    if set(derived) != set(expected):
        problems.append(f"patients: missing {sorted(set(expected) - set(derived))[:5]}, "
                        f"extra {sorted(set(derived) - set(expected))[:5]}")  # fmt: skip
    for pid in sorted(set(derived) & set(expected)):
        got, want = derived[pid], expected[pid]
        for col in (*_EXACT, "alc", "nlr", "plr", "lmr"):
            if col in ("alc", "nlr", "plr", "lmr"):
                ok = _close(got[col], want[col])
            else:
                ok = got[col] == want[col]
            if not ok:
                problems.append(f"{pid} {col}: derived {got[col]!r}, truth {want[col]!r}")
    assert truth["export"]["data_cutoff"]
    return problems


def _load_and_derive(database: Database, export: Path) -> None:
    cutoff = json.loads((export / "truth.json").read_text())["export"]["data_cutoff"]
    report = run_etl(database, [str(export)], EtlOptions(max_reject_rate=1.0))
    assert report["balanced"]
    derive_all(database, DeriveParams(cutoff_date=dt.date.fromisoformat(cutoff)))


@pytest.mark.parametrize(("patients", "seed"), [(None, 0), (300, 1)])
def test_derived_values_match_the_synth_truth(
    database: Database, tmp_path: Path, patients: int | None, seed: int
) -> None:
    export, increment = tmp_path / "export", tmp_path / "increment"
    synthesize(
        export,
        SynthOptions(preset="dtc-2021", patients=patients, seed=seed, increment_dir=increment),
    )
    _load_and_derive(database, export)
    assert mismatches(export, database) == []
    # the next night's increment on top: derived == the increment's truth
    _load_and_derive(database, increment)
    assert mismatches(increment, database) == []
