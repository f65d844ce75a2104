"""Generated cohorts follow their preset: medians, hazard ratio, Table I, response, AE rates."""

from __future__ import annotations

import math
from collections import Counter
from statistics import median
from typing import Any

import numpy as np
import pytest

from rwe.synth.cohort import CohortConfig, CohortSimulator
from rwe.synth.mess import Mess, MessConfig
from rwe.synth.presets import get_preset
from rwe.synth.render import Renderer
from rwe.synth.truth import patient_row


def truth_rows(preset_name: str, n: int, seed: int) -> tuple[list[dict[str, Any]], CohortSimulator]:
    """The per-patient truth of n patients (what patients.csv would hold), without files."""
    preset = get_preset(preset_name)
    sim = CohortSimulator(preset, seed, CohortConfig())
    renderer = Renderer(Mess(MessConfig(), seed), "t")
    cutoff = preset.data_cutoff.toordinal()
    rows = []
    for i in range(n):
        tl = sim.simulate(i)
        rows.append(patient_row(renderer, tl, cutoff, renderer.patient_mess(tl)))
    return rows, sim


def km_median(times: list[float], events: list[int]) -> float:
    """Kaplan-Meier median: the first time S(t) <= 0.5 (inf when never reached)."""
    order = sorted(zip(times, events, strict=True))
    at_risk, s, i = len(order), 1.0, 0
    while i < len(order):
        t = order[i][0]
        deaths = removed = 0
        while i < len(order) and order[i][0] == t:
            deaths += order[i][1]
            removed += 1
            i += 1
        s *= 1 - deaths / at_risk
        at_risk -= removed
        if s <= 0.5:
            return t
    return math.inf


def cox_hr(times: list[float], events: list[int], x: list[int]) -> float:
    """Hazard ratio of a binary covariate: Cox partial likelihood (Breslow), Newton steps."""
    t, d, z = np.array(times), np.array(events), np.array(x, dtype=float)
    order = np.argsort(-t, kind="stable")  # descending: cumulative sums are risk sets
    t, d, z = t[order], d[order], z[order]
    beta = 0.0
    for _ in range(25):
        w = np.exp(beta * z)
        s0, s1 = np.cumsum(w), np.cumsum(w * z)
        # ties: every subject at a tied time shares the risk set of the first of them
        last = np.searchsorted(-t, -t, side="right") - 1
        s0, s1 = s0[last], s1[last]
        p = s1 / s0
        grad = np.sum(d * (z - p))
        info = np.sum(d * (p - p * p))
        beta += grad / info
    return math.exp(beta)


@pytest.fixture(scope="module")
def dtc() -> tuple[list[dict[str, Any]], CohortSimulator]:
    return truth_rows("dtc-2021", 3000, seed=21)


def test_dtc_model_medians_are_the_papers(
    dtc: tuple[list[dict[str, Any]], CohortSimulator],
) -> None:
    expected = dtc[1].models["DTC"].expected_medians()
    assert expected["ttf_treated_30_days"] == pytest.approx(543, rel=0.01)
    assert expected["os"] == pytest.approx(2002, rel=0.01)


def test_dtc_km_medians_recover_the_model(
    dtc: tuple[list[dict[str, Any]], CohortSimulator],
) -> None:
    expected = dtc[1].models["DTC"].expected_medians()
    for outcome, tolerance in (("ttf", 0.08), ("pfs", 0.1), ("os", 0.1)):
        # TTF of the included (treated >= 30 days) as in paper 004; PFS and OS of everyone
        rows = [r for r in dtc[0] if r["included"] or outcome != "ttf"]
        got = km_median([r[f"{outcome}_days"] for r in rows], [r[f"{outcome}_event"] for r in rows])
        key = "ttf_treated_30_days" if outcome == "ttf" else outcome
        assert got == pytest.approx(expected[key], rel=tolerance), outcome


def test_high_lmr_lowers_the_hazard_of_death(
    dtc: tuple[list[dict[str, Any]], CohortSimulator],
) -> None:
    rows = [r for r in dtc[0] if r["included"] and r["lmr_high"] != ""]
    hr = cox_hr([r["os_days"] for r in rows], [r["os_event"] for r in rows],
                [r["lmr_high"] for r in rows])  # fmt: skip
    assert 0.15 < hr < 0.29  # generating HR 0.21
    high = [r for r in rows if r["lmr_high"] == 1]
    low = [r for r in rows if r["lmr_high"] == 0]
    assert km_median([r["os_days"] for r in high], [r["os_event"] for r in high]) > km_median(
        [r["os_days"] for r in low], [r["os_event"] for r in low]
    )
    # TTF does not depend on LMR (paper 004: no marker affects TTF)
    ttf_hr = cox_hr([r["ttf_days"] for r in rows], [r["ttf_event"] for r in rows],
                    [r["lmr_high"] for r in rows])  # fmt: skip
    assert 0.6 < ttf_hr < 1.1


def test_dtc_table_one(dtc: tuple[list[dict[str, Any]], CohortSimulator]) -> None:
    rows = dtc[0]
    n = len(rows)

    def share(key: str, value: Any = 1) -> float:
        return sum(r[key] == value for r in rows) / n

    assert share("sex", "female") == pytest.approx(16 / 26, abs=0.03)
    assert share("histology", "papillary") == pytest.approx(21 / 26, abs=0.03)
    assert share("ecog_baseline", 0) == pytest.approx(18 / 26, abs=0.03)
    assert share("locally_advanced") == pytest.approx(6 / 26, abs=0.03)
    assert share("recurrence") == pytest.approx(20 / 26, abs=0.03)
    assert share("bone_metastasis") == pytest.approx(11 / 26, abs=0.03)
    assert share("lung_metastasis") == pytest.approx(23 / 26, abs=0.03)
    assert share("lymph_node_metastasis") == pytest.approx(17 / 26, abs=0.03)
    assert share("symptomatic") == pytest.approx(11 / 26, abs=0.03)
    assert share("anti_tg_positive") == pytest.approx(7 / 26, abs=0.03)
    assert median(r["age_at_index"] for r in rows) == pytest.approx(73, abs=2.5)
    for key, paper in (("baseline_alc", 1481), ("nlr", 2.06), ("plr", 133.3), ("lmr", 5.37)):
        values = [r[key] for r in rows if r[key] != ""]
        assert median(values) == pytest.approx(paper, rel=0.06), key
    no_baseline = sum(r["lmr"] == "" for r in rows) / n
    assert 0.04 < no_baseline < 0.13  # 5 % without a draw, plus absent lymphocytes or monocytes


def test_dtc_response_and_stops(dtc: tuple[list[dict[str, Any]], CohortSimulator]) -> None:
    rows = [r for r in dtc[0] if r["included"]]
    best = Counter(r["best_response"] for r in rows)
    orr = (best["CR"] + best["PR"]) / len(rows)
    assert 0.08 < orr < 0.16  # paper 004: 11.5 %
    assert 0.75 < sum(r["clinical_benefit"] for r in rows) / len(rows) < 0.92  # paper: 80.8 %
    reasons = Counter(r["stop_reason"] for r in rows if r["ttf_event"])
    assert reasons.most_common(1)[0][0] == "progression"
    assert set(reasons) <= {"progression", "adverse-event", "decision", "other", "death"}
    excluded = [r for r in dtc[0] if not r["included"]]
    assert 0.03 < len(excluded) / len(dtc[0]) < 0.08 and all(r["ttf_days"] < 30 for r in excluded)


def test_mtc_atc_trial_preset() -> None:
    rows, _ = truth_rows("mtc-atc-2017", 2500, seed=8)
    # PFS and OS over every patient: the < 30-day exclusion would drop early deaths
    atc = [r for r in rows if r["arm"] == "ATC"]
    mtc = [r for r in rows if r["arm"] == "MTC"]
    assert sum(r["arm"] == "ATC" for r in rows) / len(rows) == pytest.approx(10 / 18, abs=0.03)
    assert {r["histology"] for r in atc} == {"anaplastic"}
    assert {r["histology"] for r in mtc} == {"medullary"}
    pfs = km_median([r["pfs_days"] for r in atc], [r["pfs_event"] for r in atc])
    os_ = km_median([r["os_days"] for r in atc], [r["os_event"] for r in atc])
    assert pfs == pytest.approx(2.8 * 30.4375, rel=0.15)  # paper 000: 2.8 months
    assert os_ == pytest.approx(5.0 * 30.4375, rel=0.15)  # paper 000: 5.0 months
    assert km_median([r["os_days"] for r in mtc], [r["os_event"] for r in mtc]) > 700
    assert not any(r["best_response"] in ("CR", "PR") for r in atc)  # ORR 0 %
    mtc_orr = sum(r["best_response"] in ("CR", "PR") for r in mtc) / len(mtc)
    assert 0.15 < mtc_orr < 0.35  # paper 000: 25 %
    ae = Counter(t.split(":")[0] for r in rows for t in r["adverse_events"].split("|") if t)
    for term, rate in (("hand-foot-skin-reaction", 0.72), ("alopecia", 0.56),
                       ("hypertension", 0.56), ("diarrhea", 0.44)):  # fmt: skip
        assert ae[term] / len(rows) == pytest.approx(rate, abs=0.04), term
