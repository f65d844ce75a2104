"""End to end: `rwe synth` → `rwe etl` (derive, gates) → `rwe analyze sorafenib`.

The report's numbers must equal the same statistics computed on the generator's own truth
table (patients.csv): the whole chain — FHIR export, mapping, derivations, analysis set,
analyses — adds nothing and loses nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rwe.analytics.cox_model import fit_cox
from rwe.analytics.kaplan_meier import fit_kaplan_meier, median_survival
from rwe.db.connection import Database
from rwe.etl.run import EtlOptions, run_etl
from rwe.nightly import after_load
from rwe.study.gates import gate_status_for_analysis
from rwe.study.options import SorafenibOptions
from rwe.study.sorafenib import analyze_sorafenib
from rwe.synth.export import SynthOptions, synthesize


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "export"
    synthesize(out, SynthOptions(preset="dtc-2021", patients=300, seed=11))
    return out


def test_report_equals_the_statistics_of_the_truth(
    database: Database, export: Path, tmp_path: Path
) -> None:
    report = run_etl(database, [str(export)], EtlOptions(workers=1))
    post = after_load(database, int(report["run_id"]))
    assert post.gates_passed
    status = gate_status_for_analysis(database, ignore_gates=False)
    summary = analyze_sorafenib(database, SorafenibOptions(), tmp_path / "report", status)

    for name in (
        "report.html",
        "report.md",
        "results.json",
        "table1_characteristics.csv",
        "table2_cox_os.csv",
        "table3_adverse_events.csv",
        "figure3_os_lmr.png",
        "figure3_os_lmr.svg",
    ):
        assert name in summary.files, name
    results = json.loads((tmp_path / "report" / "results.json").read_text())["results"]
    truth = pd.read_csv(export / "patients.csv")
    included = truth[truth["included"] == 1]
    assert results["cohort"]["included"] == len(included) == summary.n_included

    for endpoint in ("ttf", "pfs", "os"):
        curve = fit_kaplan_meier(included[f"{endpoint}_days"], included[f"{endpoint}_event"])
        expected = median_survival(curve)
        got = results["efficacy"][endpoint]
        assert (got["median"], got["median_lower"], got["median_upper"]) == (
            expected.estimate,
            expected.lower,
            expected.upper,
        ), endpoint
        assert got["events"] == int(included[f"{endpoint}_event"].sum())

    lmr = included.dropna(subset=["lmr_high"])
    expected_cox = fit_cox(lmr, "os_days", "os_event", ["lmr_high"]).terms[0]
    got_cox = results["table2"]["os"]["lmr_high"]
    assert got_cox["hr"] == pytest.approx(expected_cox.hr, rel=1e-12)
    assert got_cox["p_wald"] == pytest.approx(expected_cox.p_wald, rel=1e-12)
    assert results["table1"]["sex:female"] == int((included["sex"] == "female").sum())
    assert "passed" in (tmp_path / "report" / "report.md").read_text()
