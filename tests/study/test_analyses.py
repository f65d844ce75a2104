"""The sorafenib analyses on a small hand-made analysis set (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rwe.errors import BadInputError
from rwe.study import analyses
from rwe.study.formatting import estimate_ci, median_range, n_pct, p_value
from rwe.study.options import DEFAULT_MARKER_CUTOFFS, SorafenibOptions, parse_marker_cutoffs


def _analysis_set(n: int = 40, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lmr = rng.lognormal(np.log(4), 0.5, n)
    os_days = np.round(rng.exponential(np.where(lmr >= 4, 2000, 800))) + 1
    return pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=float),
            "included": 1.0,
            "cutoff_date": "2021-05-31",
            "age_at_index": rng.integers(50, 88, n).astype(float),
            "sex": np.where(rng.random(n) < 0.4, "male", "female"),
            "ecog_baseline": rng.choice([0.0, 1.0, 2.0], n, p=[0.7, 0.25, 0.05]),
            "diagnosis": np.where(rng.random(n) < 0.25, "locally advanced", "recurrence"),
            "histology_group": "DTC",
            "histology": np.where(rng.random(n) < 0.8, "papillary", "follicular"),
            "metastasis_bone": (rng.random(n) < 0.4).astype(float),
            "metastasis_lung": (rng.random(n) < 0.9).astype(float),
            "metastasis_lymph_node": (rng.random(n) < 0.6).astype(float),
            "symptomatic": (rng.random(n) < 0.4).astype(float),
            "anti_tg_positive": (rng.random(n) < 0.3).astype(float),
            "alc": rng.normal(1500, 400, n),
            "nlr": rng.lognormal(np.log(2), 0.4, n),
            "plr": rng.normal(140, 40, n),
            "lmr": lmr,
            "ttf_days": np.minimum(os_days, np.round(rng.exponential(600, n)) + 1),
            "ttf_event": (rng.random(n) < 0.7).astype(float),
            "pfs_days": np.round(rng.exponential(500, n)) + 1,
            "pfs_event": (rng.random(n) < 0.6).astype(float),
            "os_days": os_days,
            "os_event": (rng.random(n) < 0.5).astype(float),
            "best_overall_response": rng.choice(["PR", "SD", "PD"], n, p=[0.1, 0.7, 0.2]),
            "orr": 0.0,
            "dcr": 1.0,
            "cbr": 1.0,
            "discontinuation_reason": rng.choice(["progression", "adverse-event", None], n),
        }
    )


def test_formatting_as_the_paper_prints() -> None:
    assert n_pct(16, 26) == "16 (61.5)"
    assert median_range([53, 74, 86, float("nan")]) == "74 (53-86)"
    assert estimate_ci(2002, 985, None) == "2002 (985-not reached)"
    assert estimate_ci(None, 300, None) == "not reached"
    assert p_value(0.0192) == "0.019" and p_value(0.0004) == "<0.001"


def test_marker_groups_use_high_at_or_above_cutoff() -> None:
    df = pd.DataFrame(
        {
            "lmr": [3.99, 4.0, np.nan],
            "alc": [1500, 1499, 1],
            "nlr": 1.0,
            "plr": 1.0,
            "age_at_index": 60.0,
            "sex": "female",
            "ecog_baseline": 0.0,
            "diagnosis": "recurrence",
            "histology": "papillary",
            "metastasis_bone": 0.0,
            "metastasis_lung": 0.0,
            "metastasis_lymph_node": 0.0,
            "symptomatic": 0.0,
            "anti_tg_positive": 0.0,
        }
    )
    out = analyses.add_covariates(df, DEFAULT_MARKER_CUTOFFS)
    assert out["lmr_high"].tolist()[:2] == [0.0, 1.0] and np.isnan(out["lmr_high"][2])
    assert out["alc_high"].tolist() == [1.0, 0.0, 0.0]


def test_table_one_counts() -> None:
    df = analyses.add_covariates(_analysis_set(), DEFAULT_MARKER_CUTOFFS)
    table, numbers = analyses.characteristics(df)
    assert numbers["n"] == 40
    assert numbers["sex:male"] + numbers["sex:female"] == 40
    row = table[table["Variable"] == "  male"].iloc[0, 1]
    assert row == n_pct(numbers["sex:male"], 40)


def test_cox_table_marks_a_constant_covariate_not_estimable() -> None:
    df = analyses.add_covariates(_analysis_set(), DEFAULT_MARKER_CUTOFFS)
    df["symptomatic"] = 1.0
    table, numbers = analyses.univariate_cox(df, "os", "breslow")
    assert table.loc[table["Variable"] == "Subjective symptoms", "HR (95% CI)"].item() == (
        "not estimable"
    )
    assert numbers["lmr_high"]["hr"] > 0
    assert numbers["age_at_index"]["n"] == 40


def test_marker_survival_has_both_groups_and_a_log_rank_p() -> None:
    df = analyses.add_covariates(_analysis_set(200), DEFAULT_MARKER_CUTOFFS)
    curves, numbers = analyses.marker_survival(df, "os", "lmr")
    assert set(curves) == {"high", "low"}
    assert numbers["high"]["n"] + numbers["low"]["n"] == 200
    assert 0 <= numbers["logrank"]["p"] < 0.05  # simulated with a strong LMR effect


def test_adverse_events_count_patients_not_events() -> None:
    ae = pd.DataFrame(
        {
            "person_id": [1, 1, 2, 3],
            "term": ["rash", "hypertension", "rash", "rash"],
            "max_grade": [1, 3, 3, np.nan],
        }
    )
    table, numbers = analyses.adverse_events(ae, 10)
    assert numbers["rash"] == {"all_grades": 3, "grade_3_or_more": 1}
    assert table.iloc[0].tolist() == ["rash", "3 (30.0)", "1 (10.0)"]
    assert table.iloc[-1].tolist() == ["Any adverse event", "3 (30.0)", "2 (20.0)"]


def test_options_are_validated() -> None:
    assert parse_marker_cutoffs("LMR=3.5")["lmr"] == 3.5
    with pytest.raises(BadInputError) as err:
        parse_marker_cutoffs("LMR")
    assert "Write it as NAME=VALUE" in err.value.render()
    with pytest.raises(BadInputError, match="unknown histology"):
        SorafenibOptions(histology="papillary")
