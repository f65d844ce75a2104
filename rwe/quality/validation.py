"""Run checks as great-expectations 1.x suites inside PostgreSQL and build Data Docs."""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from rwe.db.connection import Database
from rwe.db.sqlfiles import read_sql
from rwe.quality.catalogue import Check

log = logging.getLogger(__name__)

DOCS_SITE = "rwe_quality"
# Session settings for the validation connections: the checks hash person ids and join to
# CONCEPT; 4 MB (PostgreSQL's default) makes those hashes spill to disk on a 10 M-row table.
SESSION_OPTIONS = "-c work_mem=128MB -c statement_timeout=0"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """What great-expectations reported for one check."""

    status: str  # Passed, Failed or Error
    num_violated_rows: int | None = None
    num_denominator_rows: int | None = None
    error: str | None = None


def sqlalchemy_url(db: Database) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) of `db`, whose URL may be a libpq conninfo."""
    from sqlalchemy.engine import URL

    parts = {k: str(v) for k, v in conninfo_to_dict(db.url).items() if v is not None}
    host = parts.get("host", "")
    query = {"host": host} if host.startswith("/") or "," in host else {}
    url = URL.create(
        "postgresql+psycopg",
        username=parts.get("user"),
        password=parts.get("password") or None,
        host=None if query else (host or None),
        port=int(parts["port"]) if parts.get("port") else None,
        database=parts.get("dbname"),
        query=query,
    )
    # great-expectations reads ${NAME} in connection strings as config variables: escape `$`.
    return url.render_as_string(hide_password=False).replace("$", r"\$")


def check_query(db: Database, check: Check) -> str:
    """The check's aggregate SQL, with `{batch}` (the table asset's rows) left for GX."""
    params = {"cdm": db.cdm_schema, "rwe": db.rwe_schema, "table": check.table.split(".")[-1]}
    params["field"] = check.field or ""
    for key, value in check.params.items():
        params[key] = _sql_literal(value)
    if check.concept_id is not None:
        params["concept_id"] = str(int(check.concept_id))
    folder = "quality/study" if check.category == "Study" else "quality"
    body = read_sql(f"{folder}/{check.check_type}.sql", params)
    # great-expectations substitutes {batch} with the asset's rows as a subquery; a JOIN keeps
    # it in the form "(subquery) AS t" on every PostgreSQL version (15 needs the alias).
    head = (
        "WITH batch_rows AS NOT MATERIALIZED (\n"
        "    SELECT t.* FROM {batch} AS t CROSS JOIN (SELECT 1) AS one\n)"
    )
    code = "\n".join(line for line in body.splitlines() if not line.startswith("--"))
    if code.lstrip().upper().startswith("WITH "):  # the check's own CTEs follow batch_rows
        return head + ",\n" + code.lstrip()[len("WITH ") :]
    return head + "\n" + code


def _sql_literal(value: Any) -> str:
    """TOML values as SQL text: lists of numbers, [[key, low, high], ...] as VALUES rows."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        return ", ".join("(" + ", ".join(_scalar(v) for v in row) + ")" for row in value)
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value)
    return str(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"unsupported catalogue value {value!r}")


def run_expectations(
    db: Database,
    checks: list[Check],
    docs_dir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Outcome]:
    """Validate `checks` (all applicable) with one great-expectations checkpoint.

    One table asset and suite per table; the queries run in PostgreSQL, only counts come back.
    Returns an `Outcome` per check id. Writes Data Docs (HTML) into `docs_dir` when given.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    context = _context(gx, docs_dir)
    with warnings.catch_warnings():
        # add_postgres would be the specific type, but its URL validation rejects the
        # unix-socket URLs of the embedded server; the generic SQL datasource takes any URL.
        warnings.simplefilter("ignore")
        source = context.data_sources.add_sql(
            "rwe",
            connection_string=sqlalchemy_url(db),
            kwargs={"connect_args": {"options": SESSION_OPTIONS}},
        )
    by_table: dict[str, list[Check]] = {}
    for check in checks:
        by_table.setdefault(check.table, []).append(check)
    definitions = []
    for table, table_checks in sorted(by_table.items()):
        schema, name = _split(db, table)
        with warnings.catch_warnings():
            # schema_name is deprecated in favour of one schema per datasource; rwe's checks
            # span two schemas (cdm and study) on one connection, so it stays.
            warnings.simplefilter("ignore", DeprecationWarning)
            asset = source.add_table_asset(f"{schema}.{name}", table_name=name, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("all rows")
        suite = context.suites.add(gx.ExpectationSuite(name=f"rwe.{schema}.{name}"))
        for check in table_checks:
            suite.add_expectation(_expectation(gx, db, check))
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{schema}.{name}", data=batch, suite=suite)
            )
        )
    actions: list[Any] = (
        [UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])] if docs_dir else []
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="rwe_quality_gates",
            validation_definitions=definitions,
            actions=actions,
            result_format="SUMMARY",
        )
    )
    started = time.monotonic()
    if progress:
        progress(f"validating {len(checks)} checks over {len(definitions)} tables")
    result = checkpoint.run()
    log.debug("great-expectations checkpoint ran in %.1f s", time.monotonic() - started)
    outcomes: dict[str, Outcome] = {}
    for run in result.run_results.values():
        for res in run.results:
            check_id = res.expectation_config.meta["check_id"]
            outcomes[check_id] = _outcome(res)
    return outcomes


def _context(gx: Any, docs_dir: Path | None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(Path(docs_dir).resolve()),
            },
        }
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _split(db: Database, table: str) -> tuple[str, str]:
    if "." in table:
        schema, name = table.split(".", 1)
        return schema, name
    return db.cdm_schema, table


def _expectation(gx: Any, db: Database, check: Check) -> Any:
    from rwe.quality.expectation import ExpectDqdCheckToPass

    meta = {"check_id": check.check_id, "severity": check.severity}
    description = (
        f"{check.check_id} ({check.severity}, ≤ {check.threshold:g} %): {check.description}"
    )
    mostly = max(0.0, 1.0 - check.threshold / 100.0)
    if check.engine == "column" and check.check_type == "isRequired":
        return gx.expectations.ExpectColumnValuesToNotBeNull(
            column=check.field, mostly=mostly, meta=meta, description=description
        )
    if check.engine == "column":
        bounds = (
            {"min_value": check.params["low"]}
            if check.check_type == "plausibleValueLow"
            else {"max_value": check.params["high"]}
        )
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=check.field, mostly=mostly, meta=meta, description=description, **bounds
        )
    return ExpectDqdCheckToPass(
        check_id=check.check_id,
        threshold=check.threshold,
        unexpected_rows_query=check_query(db, check),
        meta=meta,
        description=description,
    )


def _outcome(res: Any) -> Outcome:
    info = res.exception_info or {}
    raised = info.get("raised_exception") or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )
    if raised:
        return Outcome("Error", error=_first_error_line(info))
    r = res.result or {}
    if "details" in r:  # ExpectDqdCheckToPass
        violated, denominator = (
            r["details"]["num_violated_rows"],
            r["details"]["num_denominator_rows"],
        )
    else:  # column map expectation: nulls count against isRequired, not against ranges
        element_count = int(r.get("element_count") or 0)
        missing = int(r.get("missing_count") or 0)
        violated = int(r.get("unexpected_count") or 0)
        is_null_check = res.expectation_config.type == "expect_column_values_to_not_be_null"
        denominator = element_count if is_null_check else element_count - missing
    return Outcome("Passed" if res.success else "Failed", violated, denominator)


def _first_error_line(info: dict[str, Any]) -> str:
    messages = [info.get("exception_message")] + [
        v.get("exception_message") for v in info.values() if isinstance(v, dict)
    ]
    for message in messages:
        if message:
            # The database's message only (never the SQL text, which may quote values).
            return str(message).split("\n[SQL:")[0].splitlines()[0][:500]
    return "great-expectations raised an error"
