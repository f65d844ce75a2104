"""SOURCE arguments → sources: local files and folders, or FHIR server base URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg

from rwe.db.connection import Database
from rwe.etl.extract.batch import Source
from rwe.etl.extract.discover import discover

if TYPE_CHECKING:
    from rwe.etl.run import EtlOptions


def is_url(argument: str) -> bool:
    return argument.startswith(("http://", "https://"))


def resolve_sources(
    db: Database, conn: psycopg.Connection, arguments: list[str], options: EtlOptions
) -> list[Source]:
    """Local sources are listed now; server sources page lazily while the run reads them."""
    sources: list[Source] = []
    local = [a for a in arguments if not is_url(a)]
    sources.extend(discover(local))
    for argument in arguments:
        if is_url(argument):
            from rwe.etl.extract.server import server_sources

            sources.extend(server_sources(db, conn, argument, options))
    return sources
