"""Model matrices with R's treatment contrasts (first factor level is the reference)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rwe.analytics.survival_input import FloatArray
from rwe.errors import BadInputError


@dataclass(frozen=True)
class DesignMatrix:
    """Columns of a model matrix and R-style term names (`sexmale`, `celltypesmallcell`)."""

    values: FloatArray
    terms: list[str]
    references: dict[str, str]  # categorical covariate → its reference level


def build_design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> DesignMatrix:
    """Numeric columns enter as they are; strings, categoricals and booleans as dummies.

    Levels are ordered as R's `factor()` orders them: a pandas Categorical keeps its category
    order (unused categories dropped), other values are sorted; booleans become `<name>TRUE`.
    Missing values must be dropped before (`complete_rows`).
    """
    columns: list[FloatArray] = []
    terms: list[str] = []
    references: dict[str, str] = {}
    for name in covariates:
        if name not in data.columns:
            raise BadInputError(f"no column {name!r}", "Check the covariate names.")
        series = data[name]
        if series.isna().any():
            raise BadInputError(f"covariate {name!r} has missing values", "Drop those rows.")
        if pd.api.types.is_bool_dtype(series):
            columns.append(series.to_numpy(dtype=float))
            terms.append(f"{name}TRUE")
            references[name] = "FALSE"
        elif pd.api.types.is_numeric_dtype(series):
            columns.append(series.to_numpy(dtype=float))
            terms.append(name)
        else:
            levels = _levels(series)
            references[name] = str(levels[0])
            for level in levels[1:]:
                columns.append((series == level).to_numpy().astype(float))
                terms.append(f"{name}{level}")
    values = np.column_stack(columns) if columns else np.empty((len(data), 0))
    return DesignMatrix(values=values, terms=terms, references=references)


def _levels(series: pd.Series) -> list[object]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.remove_unused_categories().cat.categories)
    return sorted(series.unique().tolist(), key=str)
