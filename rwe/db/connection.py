"""Open connections to the configured database (external URL or the embedded server)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from rwe.config import Settings, mask_url
from rwe.db.embedded import start_embedded
from rwe.errors import DatabaseUnreachableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Database:
    """A resolved database: its URL and rwe's schema names."""

    url: str
    cdm_schema: str = "cdm"
    rwe_schema: str = "rwe"
    embedded: bool = False

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    def connect(self, autocommit: bool = False) -> psycopg.Connection:
        """A new psycopg connection; unreachable servers raise `DatabaseUnreachableError`."""
        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseUnreachableError(
                f"cannot connect to the database at {self.display_url}: {first_line(exc)}",
                "Check that the server runs and the URL (--database-url, RWE_DATABASE_URL or "
                "rwe.toml) is right; unset them all to use the embedded server.",
            ) from exc

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        conn = self.connect()
        try:
            with conn.transaction():
                yield conn
        finally:
            conn.close()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (PostgreSQL adds detail lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_database(settings: Settings) -> Database:
    """Resolve `settings` to a `Database`, starting the embedded server when no URL is set."""
    if settings.database_url:
        url = settings.database_url
    else:
        url = start_embedded(settings.data_dir)
        log.debug("using the embedded server under %s", settings.data_dir)
    return Database(
        url=url,
        cdm_schema=settings.cdm_schema,
        rwe_schema=settings.rwe_schema,
        embedded=settings.embedded,
    )
