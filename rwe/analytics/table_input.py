"""Analysis tables from CSV or Parquet files, and complete-case selection that counts drops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rwe.errors import BadInputError


@dataclass(frozen=True)
class CompleteRows:
    """Rows without a missing value in the used columns, and how many were dropped."""

    data: pd.DataFrame
    n_dropped: int


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a `.csv` or `.parquet` file (by suffix) into a DataFrame."""
    file = Path(path)
    if not file.is_file():
        raise BadInputError(f"no file {str(file)!r}", "Check the --data path.")
    suffix = file.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(file)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(file)
    except (ValueError, OSError) as exc:
        raise BadInputError(
            f"cannot read {file.name}: {exc}", "Is it a valid CSV/Parquet?"
        ) from exc
    raise BadInputError(
        f"unknown file type {suffix!r} for {file.name}", "Use a .csv or .parquet file."
    )


def complete_rows(data: pd.DataFrame, columns: Sequence[str | None]) -> CompleteRows:
    """Keep rows with every named column present (R's na.omit); None entries are skipped."""
    used = [c for c in columns if c is not None]
    missing = [c for c in used if c not in data.columns]
    if missing:
        available = ", ".join(map(str, data.columns[:20]))
        raise BadInputError(
            f"no column {', '.join(map(repr, missing))} in the data",
            f"Available columns: {available}.",
        )
    kept = data.dropna(subset=used)
    return CompleteRows(data=kept, n_dropped=len(data) - len(kept))
