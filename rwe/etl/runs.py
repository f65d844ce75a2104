"""Past runs (rwe.run) and their rejects (rwe.reject), for `rwe runs`."""

from __future__ import annotations

from typing import Any

from rwe.db.connection import Database
from rwe.db.migrate import require_schema
from rwe.errors import BadInputError


def list_runs(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    with db.connect() as conn:
        require_schema(conn, db)
        cur = conn.execute(
            f"SELECT run_id, command, status, started_at, finished_at,"
            f" (report->>'read')::bigint AS read, (report->>'loaded')::bigint AS loaded,"
            f" (report->>'rejected')::bigint AS rejected,"
            f" (report->>'excluded')::bigint AS excluded, message"
            f" FROM {db.rwe_schema}.run ORDER BY run_id DESC LIMIT %s",
            (limit,),
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def get_run(db: Database, run_id: int) -> dict[str, Any]:
    """One run with its stored report; `BadInputError` when there is no such run."""
    with db.connect() as conn:
        require_schema(conn, db)
        row = conn.execute(
            f"SELECT run_id, command, status, started_at, finished_at, rwe_version, cdm_version,"
            f" vocabulary_version, inputs, report, message FROM {db.rwe_schema}.run"
            f" WHERE run_id = %s",
            (run_id,),
        ).fetchone()
    if row is None:
        raise BadInputError(f"there is no run {run_id}", "List the runs with `rwe runs`.")
    keys = [
        "run_id",
        "command",
        "status",
        "started_at",
        "finished_at",
        "rwe_version",
        "cdm_version",
        "vocabulary_version",
        "inputs",
        "report",
        "message",
    ]
    return dict(zip(keys, row, strict=True))


def run_rejects(db: Database, run_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The first `limit` rejects of a run (file, line, type, id, reason)."""
    with db.connect() as conn:
        cur = conn.execute(
            f"SELECT source_file, line, resource_type, resource_id, reason, detail"
            f" FROM {db.rwe_schema}.reject WHERE run_id = %s ORDER BY source_file, line"
            f" LIMIT %s",
            (run_id, limit),
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
