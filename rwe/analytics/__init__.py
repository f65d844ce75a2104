"""Survival and comparison statistics that equal R's `survival` (EZR settings)."""

from rwe.analytics.cox_model import CoxResult, CoxTerm, fit_cox, fit_cox_matrix
from rwe.analytics.design_matrix import DesignMatrix, build_design_matrix
from rwe.analytics.fisher_exact import FisherResult, fisher_exact_from_columns, fisher_exact_test
from rwe.analytics.kaplan_meier import (
    KaplanMeierCurve,
    RiskTable,
    confidence_band,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    median_follow_up,
    median_survival,
    number_at_risk,
    quantile_survival,
)
from rwe.analytics.log_rank import LogRankResult, log_rank_test
from rwe.analytics.proportion import Proportion, binomial_proportion
from rwe.analytics.rank_sum import RankSumResult, wilcoxon_rank_sum, wilcoxon_rank_sum_by_group
from rwe.analytics.survival_quantile import SurvivalQuantile
from rwe.analytics.table_input import CompleteRows, complete_rows, read_table

__all__ = [
    "CompleteRows",
    "CoxResult",
    "CoxTerm",
    "DesignMatrix",
    "FisherResult",
    "KaplanMeierCurve",
    "LogRankResult",
    "Proportion",
    "RankSumResult",
    "RiskTable",
    "SurvivalQuantile",
    "binomial_proportion",
    "build_design_matrix",
    "complete_rows",
    "confidence_band",
    "fisher_exact_from_columns",
    "fisher_exact_test",
    "fit_cox",
    "fit_cox_matrix",
    "fit_kaplan_meier",
    "fit_kaplan_meier_by_group",
    "log_rank_test",
    "median_follow_up",
    "median_survival",
    "number_at_risk",
    "quantile_survival",
    "read_table",
    "wilcoxon_rank_sum",
    "wilcoxon_rank_sum_by_group",
]
