"""`rwe analyze sorafenib`: the two papers' analyses from the OMOP database, as a report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rwe import CDM_VERSION, __version__
from rwe.db.connection import Database
from rwe.errors import StatisticsError
from rwe.report.figures import KmFigureSpec, km_figure
from rwe.report.render import Report, ReportSection, ReportTable, write_report
from rwe.study import analyses
from rwe.study.data import AnalysisData, load_analysis_data
from rwe.study.formatting import p_value
from rwe.study.options import SorafenibOptions

HISTOLOGY_GROUPS = {"dtc": "DTC", "mtc": "MTC", "atc": "ATC"}


@dataclass
class AnalysisSummary:
    out_dir: Path
    files: dict[str, Path]
    n_included: int
    gate_status: str


def analyze_sorafenib(
    db: Database, options: SorafenibOptions, out_dir: Path, gate_status: str = "unknown"
) -> AnalysisSummary:
    """Run every analysis of the study and write the report to `out_dir`."""
    data = load_analysis_data(db)
    cohort = select_cohort(data.cohort, options)
    if len(cohort) == 0:
        raise StatisticsError(
            f"no included patients for histology {options.histology}",
            "Check the histology option and that `rwe derive` has run on loaded data.",
        )
    report = build_report(data, cohort, options, db, gate_status)
    files = write_report(report, out_dir)
    return AnalysisSummary(out_dir, files, len(cohort), gate_status)


def select_cohort(cohort: pd.DataFrame, options: SorafenibOptions) -> pd.DataFrame:
    """Included patients of the chosen histology, with the covariates of Table II."""
    df = cohort[cohort["included"] == 1]
    if options.histology != "all":
        df = df[df["histology_group"] == HISTOLOGY_GROUPS[options.histology]]
    return analyses.add_covariates(df.reset_index(drop=True), options.marker_cutoffs)


def build_report(
    data: AnalysisData,
    df: pd.DataFrame,
    options: SorafenibOptions,
    db: Database,
    gate_status: str,
) -> Report:
    results: dict[str, Any] = {}
    sections = [_cohort_section(data, df, results)]
    sections.append(_efficacy_section(df, results, "all patients"))
    present = set(df["histology_group"].dropna())
    if options.histology == "all" and len(present) > 1:
        for key, label in HISTOLOGY_GROUPS.items():
            group = df[df["histology_group"] == label]
            if len(group):
                sections.append(_efficacy_section(group, results.setdefault(key, {}), label))
    sections.append(_cox_section(df, options, results))
    sections.append(_marker_section(df, results))
    sections.append(_safety_section(data, df, results))
    metadata = {
        "study": "Sorafenib in thyroid cancer (papers 004 and 000)",
        "histology": options.histology,
        "data cutoff": str(df["cutoff_date"].iloc[0]) if len(df) else "NA",
        "options": _options_text(options),
        "derivation parameters": _derive_text(data.derive_parameters),
        "database": db.display_url,
        "PostgreSQL": data.server_version,
        "rwe": __version__,
        "OMOP CDM": CDM_VERSION,
        "vocabulary": data.vocabulary_version,
        "quality gates": gate_status,
        "statistics": "Kaplan-Meier log-log 95% CI; median by survfit's rule; log-rank rho=0; "
        f"Cox ties={options.ties}; Wilcoxon as wilcox.test; Fisher exact as fisher.test",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return Report("Sorafenib in thyroid cancer: rwe study report", metadata, sections, results)


def _derive_text(state: dict[str, Any]) -> str:
    params = state.get("params", {})
    return "; ".join(f"{k}={v}" for k, v in sorted(params.items())) or "unknown"


def _options_text(options: SorafenibOptions) -> str:
    cutoffs = ", ".join(f"{k.upper()}={v:g}" for k, v in options.marker_cutoffs.items())
    return (
        f"cutoff={options.cutoff or 'latest date in data'}; baseline window="
        f"{options.baseline_window_days} d; minimum duration={options.min_duration_days} d; "
        f"marker cutoffs (high = value ≥ cutoff): {cutoffs}; ties={options.ties}"
    )


def _cohort_section(data: AnalysisData, df: pd.DataFrame, results: dict) -> ReportSection:
    everyone = data.cohort
    excluded = everyone[everyone["included"] != 1]
    reasons = excluded["exclusion_reason"].fillna("unspecified").value_counts().to_dict()
    table, numbers = analyses.characteristics(df)
    results["cohort"] = {"with_index_date": len(everyone), "excluded": reasons, "included": len(df)}
    results["table1"] = numbers
    text = (
        f"{len(everyone)} patients started sorafenib; {len(excluded)} were excluded "
        f"({', '.join(f'{k}: {v}' for k, v in reasons.items()) or 'none'}); "
        f"{len(df)} are analysed."
    )
    return ReportSection(
        "Patients",
        [text],
        [
            ReportTable(
                "table1_characteristics",
                "Table I. Characteristics at the start of sorafenib",
                table,
                "n (%) unless stated; ECOG PS: Eastern Cooperative Oncology Group"
                " performance status.",
            )
        ],
    )


def _efficacy_section(df: pd.DataFrame, results: dict, label: str) -> ReportSection:
    table, numbers, curves = analyses.efficacy(df)
    results["efficacy"] = numbers
    stem = label.lower().replace(" ", "_")
    figures = {
        f"figure1_{endpoint}_{stem}": (
            f"{analyses.ENDPOINTS[endpoint]} ({label})",
            km_figure(
                KmFigureSpec(f"{analyses.ENDPOINTS[endpoint]} ({label})", {"All": curves[endpoint]})
            ),
        )
        for endpoint in ("ttf", "os", "pfs")
    }
    return ReportSection(
        f"Efficacy: {label}",
        [],
        [ReportTable(f"efficacy_{stem}", f"Efficacy ({label}, n = {len(df)})", table)],
        figures,
    )


def _cox_section(df: pd.DataFrame, options: SorafenibOptions, results: dict) -> ReportSection:
    tables = []
    results["table2"] = {}
    for endpoint in ("ttf", "os"):
        table, numbers = analyses.univariate_cox(df, endpoint, options.ties)
        results["table2"][endpoint] = numbers
        tables.append(
            ReportTable(
                f"table2_cox_{endpoint}",
                f"Table II. Univariate Cox regression: {analyses.ENDPOINTS[endpoint]}",
                table,
                f"Ties: {options.ties}.",
            )
        )
    return ReportSection("Prognostic factors", [], tables)


def _marker_section(df: pd.DataFrame, results: dict) -> ReportSection:
    figures, rows = {}, []
    results["markers"] = {}
    for endpoint, number in (("ttf", 2), ("os", 3)):
        for marker, label in analyses.MARKERS.items():
            curves, numbers = analyses.marker_survival(df, endpoint, marker)
            results["markers"][f"{endpoint}:{marker}"] = numbers
            p = numbers.get("logrank", {}).get("p")
            rows.append((analyses.ENDPOINTS[endpoint], label, numbers["n"], p_value(p)))
            if curves:
                title = f"{analyses.ENDPOINTS[endpoint]} by baseline {label}"
                spec = KmFigureSpec(
                    title,
                    {f"{label} high": curves["high"], f"{label} low": curves["low"]},
                    annotation=f"log-rank p = {p_value(p)}",
                )
                figures[f"figure{number}_{endpoint}_{marker}"] = (title, km_figure(spec))
    comparisons = {m: analyses.compare_by_marker(df, m) for m in analyses.MARKERS}
    results["group_comparisons"] = comparisons
    table = pd.DataFrame(rows, columns=["Endpoint", "Marker", "n", "log-rank p"])
    compare = pd.DataFrame(
        [
            (analyses.COVARIATES[c], *(p_value(comparisons[m].get(c)) for m in analyses.MARKERS))
            for c in analyses.COVARIATES
        ],
        columns=[
            "Characteristic",
            *(f"{label} high vs low: p" for label in analyses.MARKERS.values()),
        ],
    )
    return ReportSection(
        "Baseline blood markers",
        ["Groups: high = value ≥ cutoff. Figures 2 (TTF) and 3 (OS)."],
        [
            ReportTable("markers_logrank", "Survival by marker group", table),
            ReportTable(
                "markers_group_comparison",
                "Characteristics between marker groups",
                compare,
                "Age: Wilcoxon rank-sum (wilcox.test); the others: Fisher's exact test.",
            ),
        ],
        figures,
    )


def _safety_section(data: AnalysisData, df: pd.DataFrame, results: dict) -> ReportSection:
    ae = data.adverse_events[data.adverse_events["person_id"].isin(df["person_id"])]
    table, numbers = analyses.adverse_events(ae, len(df))
    results["table3"] = numbers
    return ReportSection(
        "Safety",
        [],
        [
            ReportTable(
                "table3_adverse_events", "Table III. Adverse events", table, "Maximum CTCAE grade."
            )
        ],
    )
