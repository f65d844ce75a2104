"""`rwe db status`: server, versions, schema version, row counts, vocabulary release."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from rwe import CDM_VERSION, __version__
from rwe.db.connection import Database
from rwe.db.migrate import current_version, latest_version
from rwe.db.vocabulary import current_release


@dataclass
class DatabaseStatus:
    url: str
    embedded: bool
    server_version: str
    rwe_version: str = __version__
    cdm_version: str = CDM_VERSION
    schema_version: int | None = None
    latest_schema_version: int = field(default_factory=latest_version)
    row_counts: dict[str, int] = field(default_factory=dict)
    vocabulary: dict[str, Any] | None = None

    @property
    def schema_state(self) -> str:
        if self.schema_version is None:
            return "missing (run `rwe db init`)"
        if self.schema_version < self.latest_schema_version:
            latest = self.latest_schema_version
            return f"{self.schema_version}, older than {latest} (run `rwe db upgrade`)"
        return f"{self.schema_version} (current)"


def database_status(db: Database) -> DatabaseStatus:
    """Collect what `rwe db status` prints; works on an empty database too."""
    with db.connect() as conn:
        server = conn.execute("SHOW server_version").fetchone()
        status = DatabaseStatus(
            url=db.display_url,
            embedded=db.embedded,
            server_version=str(server[0]) if server else "?",
        )
        status.schema_version = current_version(conn, db)
        if status.schema_version is None:
            return status
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                " AND table_type = 'BASE TABLE' ORDER BY table_name",
                (db.cdm_schema,),
            ).fetchall()
        ]
        if tables:
            query = sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT {}, count(*) FROM {}").format(
                    sql.Literal(t), sql.Identifier(db.cdm_schema, t)
                )
                for t in tables
            )
            status.row_counts = {name: int(n) for name, n in conn.execute(query).fetchall()}
        status.vocabulary = current_release(conn, db)
    return status
