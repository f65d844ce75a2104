"""Read the sorafenib analysis set from the derived study tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from psycopg import sql

from rwe.db.connection import Database
from rwe.db.migrate import require_schema, schema_params
from rwe.db.sqlfiles import read_sql
from rwe.errors import StatisticsError

STUDY_SCHEMA = "study"


@dataclass
class AnalysisData:
    cohort: pd.DataFrame  # every person with a sorafenib index date, included or not
    adverse_events: pd.DataFrame
    derive_parameters: dict[str, Any]
    vocabulary_version: str | None
    server_version: str


def load_analysis_data(db: Database) -> AnalysisData:
    """The analysis set and adverse events; says which command builds them when missing."""
    params = {**schema_params(db), "study": STUDY_SCHEMA}
    with db.connect() as conn:
        require_schema(conn, db)
        built = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f"{STUDY_SCHEMA}.sorafenib_outcome",)
        ).fetchone()
        if not built or not built[0]:
            raise StatisticsError(
                "the study tables have not been derived yet", "Run `rwe derive` (or `rwe etl`)."
            )
        cohort = _frame(conn, read_sql("study/sorafenib_analysis_set.sql", params))
        adverse = _frame(conn, read_sql("study/sorafenib_adverse_events.sql", params))
        state = conn.execute(
            sql.SQL("SELECT parameters FROM {}.derive_state WHERE scope = 'study'").format(
                sql.Identifier(db.rwe_schema)
            )
        ).fetchone()
        vocab = conn.execute(
            sql.SQL("SELECT vocabulary_version FROM {}.cdm_source").format(
                sql.Identifier(db.cdm_schema)
            )
        ).fetchone()
        server = conn.execute("SHOW server_version").fetchone()
    return AnalysisData(
        cohort=cohort,
        adverse_events=adverse,
        derive_parameters=dict(state[0]) if state else {},
        vocabulary_version=str(vocab[0]) if vocab else None,
        server_version=str(server[0]) if server else "?",
    )


def _frame(conn: Any, query: str) -> pd.DataFrame:
    """Rows as a DataFrame; numbers and booleans as floats (NULL → NaN), as R reads them."""
    with conn.cursor() as cur:
        cur.execute(query)
        columns = [d.name for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=columns)
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, bool | int | float) for v in values):
            frame[column] = pd.to_numeric(frame[column].astype(object).where(frame[column].notna()))
            frame[column] = frame[column].astype(float)
    return frame
