"""The sorafenib papers' analyses on the analysis set: pure functions on DataFrames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rwe.analytics.cox_model import fit_cox
from rwe.analytics.fisher_exact import fisher_exact_test
from rwe.analytics.kaplan_meier import (
    KaplanMeierCurve,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    median_follow_up,
    median_survival,
)
from rwe.analytics.log_rank import log_rank_test
from rwe.analytics.proportion import binomial_proportion
from rwe.analytics.rank_sum import wilcoxon_rank_sum
from rwe.errors import RweError
from rwe.study.formatting import estimate_ci, median_range, n_pct, p_value

ENDPOINTS = {
    "ttf": "Time to treatment failure",
    "pfs": "Progression-free survival",
    "os": "Overall survival",
}
MARKERS = {"alc": "ALC", "nlr": "NLR", "plr": "PLR", "lmr": "LMR"}
# Table II covariates: column -> label (indicators: 1 = the level named, 0 = the reference).
COVARIATES = {
    "age_at_index": "Age (per year)",
    "male": "Sex: male (vs female)",
    "ecog_ge_1": "ECOG PS ≥ 1 (vs 0)",
    "recurrence": "Diagnosis: recurrence (vs locally advanced)",
    "papillary": "Histology: papillary (vs other)",
    "metastasis_bone": "Bone metastasis",
    "metastasis_lung": "Lung metastasis",
    "metastasis_lymph_node": "Lymph node metastasis",
    "symptomatic": "Subjective symptoms",
    "anti_tg_positive": "Anti-thyroglobulin antibody",
}


def add_covariates(df: pd.DataFrame, cutoffs: Mapping[str, float]) -> pd.DataFrame:
    """Indicator columns for Table II and the marker groups (high = value ≥ cutoff)."""
    out = df.copy()

    def indicator(mask: pd.Series, known: pd.Series) -> pd.Series:
        return mask.astype(float).where(known)

    out["male"] = indicator(out["sex"] == "male", out["sex"].isin(["male", "female"]))
    out["ecog_ge_1"] = indicator(out["ecog_baseline"] >= 1, out["ecog_baseline"].notna())
    out["recurrence"] = indicator(out["diagnosis"] == "recurrence", out["diagnosis"].notna())
    out["papillary"] = indicator(out["histology"] == "papillary", out["histology"].notna())
    for col in (
        "metastasis_bone",
        "metastasis_lung",
        "metastasis_lymph_node",
        "symptomatic",
        "anti_tg_positive",
    ):
        out[col] = out[col].astype(float)
    for marker, cutoff in cutoffs.items():
        out[f"{marker}_high"] = indicator(out[marker] >= cutoff, out[marker].notna())
    return out


def characteristics(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table I: characteristics at the start of sorafenib, n (%) as in paper 004."""
    n = len(df)
    rows: list[tuple[str, str]] = [
        ("Patients", str(n)),
        ("Age, years, median (range)", median_range(df["age_at_index"])),
    ]
    numbers: dict[str, Any] = {"n": n, "age_median": _median(df["age_at_index"])}
    for title, column, levels in (
        ("Sex", "sex", ["male", "female"]),
        ("ECOG PS", "ecog_baseline", [0, 1, 2, 3, 4]),
        ("Diagnosis", "diagnosis", ["locally advanced", "recurrence"]),
        ("Histology group", "histology_group", ["DTC", "MTC", "ATC"]),
        ("Histology", "histology", sorted(df["histology"].dropna().unique())),
    ):
        rows.append((title, ""))
        for level in levels:
            count = int((df[column] == level).sum())
            if count or column in ("sex", "diagnosis"):
                rows.append((f"  {level}", n_pct(count, n)))
                numbers[f"{column}:{level}"] = count
        missing = int(df[column].isna().sum())
        if missing:
            rows.append(("  unknown", n_pct(missing, n)))
    rows.append(("Metastatic sites", ""))
    for label, column in (
        ("Bone", "metastasis_bone"),
        ("Lungs", "metastasis_lung"),
        ("Lymph nodes", "metastasis_lymph_node"),
    ):
        count = int((df[column] == 1).sum())
        rows.append((f"  {label}", n_pct(count, n)))
        numbers[column] = count
    for label, column in (
        ("Subjective symptoms", "symptomatic"),
        ("Anti-thyroglobulin antibody", "anti_tg_positive"),
    ):
        count = int((df[column] == 1).sum())
        rows.append((label, n_pct(count, n)))
        numbers[column] = count
    rows.append(("Baseline blood count available", n_pct(int(df["alc"].notna().sum()), n)))
    for marker, label in MARKERS.items():
        rows.append((f"{label}, median (range)", median_range(df[marker])))
        numbers[f"{marker}_median"] = _median(df[marker])
    return pd.DataFrame(rows, columns=["Variable", f"Total n={n} (%)"]), numbers


def _median(values: pd.Series) -> float | None:
    clean = values.dropna()
    return float(clean.median()) if len(clean) else None


@dataclass
class EndpointResult:
    curve: KaplanMeierCurve
    numbers: dict[str, Any]


def endpoint_summary(df: pd.DataFrame, endpoint: str) -> EndpointResult:
    """KM of one endpoint: median with R's CI rule, events, and the curve for the figure."""
    curve = fit_kaplan_meier(df[f"{endpoint}_days"], df[f"{endpoint}_event"])
    med = median_survival(curve)
    numbers = {
        "n": curve.n,
        "events": int(curve.n_event.sum()),
        "median": med.estimate,
        "median_lower": med.lower,
        "median_upper": med.upper,
    }
    return EndpointResult(curve, numbers)


def efficacy(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any], dict[str, KaplanMeierCurve]]:
    """Median TTF/PFS/OS (95% CI), median follow-up, ORR/DCR/CBR, discontinuation reasons."""
    rows: list[tuple[str, str]] = []
    numbers: dict[str, Any] = {}
    curves: dict[str, KaplanMeierCurve] = {}
    for endpoint, title in ENDPOINTS.items():
        result = endpoint_summary(df, endpoint)
        curves[endpoint] = result.curve
        numbers[endpoint] = result.numbers
        r = result.numbers
        rows.append(
            (
                f"Median {title}, days (95% CI)",
                estimate_ci(r["median"], r["median_lower"], r["median_upper"]),
            )
        )
    follow = median_follow_up(df["os_days"], df["os_event"])
    numbers["follow_up"] = {
        "median": follow.estimate,
        "lower": follow.lower,
        "upper": follow.upper,
        "median_censored_days": _median(df.loc[df["os_event"] == 0, "os_days"]),
    }
    rows.append(
        (
            "Median follow-up (reverse KM), days (95% CI)",
            estimate_ci(follow.estimate, follow.lower, follow.upper),
        )
    )
    assessed = df[df["best_overall_response"].notna()]
    for flag, title in (
        ("orr", "ORR (CR+PR)"),
        ("dcr", "DCR (CR+PR+SD)"),
        ("cbr", "CBR (CR+PR+SD > 6 months)"),
    ):
        x, n = int(df[flag].fillna(False).astype(bool).sum()), len(df)
        if n:
            prop = binomial_proportion(x, n)
            numbers[flag] = {
                "x": x,
                "n": n,
                "estimate": prop.estimate,
                "lower": prop.lower,
                "upper": prop.upper,
            }
            rows.append(
                (
                    f"{title}, n (%) [95% CI]",
                    f"{n_pct(x, n)} [{100 * prop.lower:.1f}-{100 * prop.upper:.1f}]",
                )
            )
    numbers["response_assessed"] = len(assessed)
    for response in ("CR", "PR", "SD", "PD", "NE"):
        count = int((df["best_overall_response"] == response).sum())
        numbers[f"best_response:{response}"] = count
        rows.append((f"Best overall response {response}", n_pct(count, len(df))))
    reasons = df["discontinuation_reason"].fillna("on treatment at cutoff")
    for reason, count in reasons.value_counts().sort_index().items():
        numbers[f"discontinuation:{reason}"] = int(count)
        rows.append((f"Discontinuation: {reason}", n_pct(int(count), len(df))))
    return pd.DataFrame(rows, columns=["Measure", "Value"]), numbers, curves


def univariate_cox(df: pd.DataFrame, endpoint: str, ties: str) -> tuple[pd.DataFrame, dict]:
    """Table II: one univariate Cox model per covariate (EZR: Breslow ties)."""
    covariates = {
        **COVARIATES,
        **{f"{m}_high": f"{label} high (vs low)" for m, label in MARKERS.items()},
    }
    rows, numbers = [], {}
    for column, label in covariates.items():
        data = df[[f"{endpoint}_days", f"{endpoint}_event", column]].dropna()
        try:
            if data[column].nunique() < 2:
                raise ValueError("one level only")
            fit = fit_cox(data, f"{endpoint}_days", f"{endpoint}_event", [column], ties=ties)  # type: ignore[arg-type]
        except (RweError, ValueError) as exc:
            rows.append((label, len(data), "not estimable", "NA"))
            numbers[column] = {"n": len(data), "error": str(exc)}
            continue
        term = fit.terms[0]
        rows.append(
            (
                label,
                fit.n,
                f"{term.hr:.2f} ({term.hr_lower:.2f}-{term.hr_upper:.2f})",
                p_value(term.p_wald),
            )
        )
        numbers[column] = {
            "n": fit.n,
            "events": fit.n_event,
            "coef": term.coef,
            "se": term.se,
            "hr": term.hr,
            "hr_lower": term.hr_lower,
            "hr_upper": term.hr_upper,
            "p_wald": term.p_wald,
            "p_lr": fit.p_lr,
            "p_score": fit.p_score,
            "warnings": fit.warnings,
        }
    frame = pd.DataFrame(rows, columns=["Variable", "n", "HR (95% CI)", "p (Wald)"])
    return frame, numbers


def marker_survival(
    df: pd.DataFrame, endpoint: str, marker: str
) -> tuple[dict[str, KaplanMeierCurve], dict[str, Any]]:
    """KM by marker group (high/low) with the log-rank test, as Figures 2 and 3."""
    data = df[[f"{endpoint}_days", f"{endpoint}_event", f"{marker}_high"]].dropna()
    groups = np.where(data[f"{marker}_high"] == 1, "high", "low")
    numbers: dict[str, Any] = {"n": len(data)}
    if len(set(groups)) < 2:
        return {}, {**numbers, "error": "one group only"}
    curves = fit_kaplan_meier_by_group(data[f"{endpoint}_days"], data[f"{endpoint}_event"], groups)
    for name, curve in curves.items():
        med = median_survival(curve)
        numbers[str(name)] = {
            "n": curve.n,
            "events": int(curve.n_event.sum()),
            "median": med.estimate,
            "median_lower": med.lower,
            "median_upper": med.upper,
        }
    test = log_rank_test(data[f"{endpoint}_days"], data[f"{endpoint}_event"], groups)
    numbers["logrank"] = {"chisq": test.chisq, "df": test.df, "p": test.p}
    return {str(k): v for k, v in curves.items()}, numbers


def compare_by_marker(df: pd.DataFrame, marker: str) -> dict[str, Any]:
    """Characteristics between marker groups: Wilcoxon for age, Fisher for the rest."""
    data = df[df[f"{marker}_high"].notna()]
    high, low = data[data[f"{marker}_high"] == 1], data[data[f"{marker}_high"] == 0]
    out: dict[str, Any] = {}
    try:
        out["age_at_index"] = wilcoxon_rank_sum(
            high["age_at_index"].dropna(), low["age_at_index"].dropna()
        ).p
    except RweError:
        out["age_at_index"] = None
    for column in COVARIATES:
        if column == "age_at_index":
            continue
        sub = data[[column, f"{marker}_high"]].dropna()
        table = pd.crosstab(sub[column], sub[f"{marker}_high"])
        out[column] = fisher_exact_test(table.to_numpy()).p if table.shape == (2, 2) else None
    return out


def adverse_events(ae: pd.DataFrame, n: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table III: patients with each adverse event, all grades and grade ≥ 3, n (%)."""
    rows, numbers = [], {}
    by_term = ae.groupby("term")
    for term, group in sorted(by_term, key=lambda kv: (-kv[1]["person_id"].nunique(), kv[0])):
        any_grade = group["person_id"].nunique()
        severe = group.loc[group["max_grade"] >= 3, "person_id"].nunique()
        rows.append((term, n_pct(any_grade, n), n_pct(severe, n)))
        numbers[str(term)] = {"all_grades": int(any_grade), "grade_3_or_more": int(severe)}
    rows.append(
        (
            "Any adverse event",
            n_pct(ae["person_id"].nunique(), n),
            n_pct(ae.loc[ae["max_grade"] >= 3, "person_id"].nunique(), n),
        )
    )
    frame = pd.DataFrame(rows, columns=["Adverse event", "All grades, n (%)", "Grade ≥ 3, n (%)"])
    return frame, numbers
