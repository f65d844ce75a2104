"""The coordinator's view of the network: parallel calls of one protocol function at every site."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from rwe.db.connection import first_line
from rwe.errors import DatabaseUnreachableError, SchemaError, StatisticsError
from rwe.federation.secure_sum import Payload, pooled_sum
from rwe.federation.site_setup import EXPOSED_FUNCTIONS, FEDERATED_SCHEMA
from rwe.federation.sites import Site

log = logging.getLogger(__name__)

T = TypeVar("T")
REFUSED = "rwe-federated: refused: "


@dataclass(frozen=True)
class NetworkOptions:
    """How the coordinator treats the sites (CLI: --allow-partial, --min-sites, --no-masking)."""

    allow_partial: bool = False
    min_sites: int = 3
    masking: bool = True
    attempts: int = 3
    retry_delay: float = 1.0
    connect_timeout: int = 5
    statement_timeout: float = 120.0  # seconds: a slower site counts as down


@dataclass
class Network:
    """Sites answering one run; `missing` names those left out (with --allow-partial)."""

    sites: Sequence[Site]
    options: NetworkOptions = field(default_factory=NetworkOptions)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    active: list[Site] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _conns: dict[str, psycopg.Connection] = field(default_factory=dict)

    def open(self) -> Network:
        """Reach every site (retrying); fail, or with allow_partial drop, the unreachable."""
        results = self._parallel(self.sites, self._try_connect)
        for site, error in zip(self.sites, results, strict=True):
            if error is None:
                self.active.append(site)
            else:
                self.missing[site.name] = error
        if self.missing and not self.options.allow_partial:
            self.close()
            name, why = next(iter(self.missing.items()))
            raise DatabaseUnreachableError(
                f"site {name} is unreachable after {self.options.attempts} attempts: {why}",
                "Check that the site's server is up and the URL in sites.toml is right; or "
                "pass --allow-partial to pool the other sites.",
            )
        if len(self.active) < self.options.min_sites:
            self.close()
            raise StatisticsError(
                f"only {len(self.active)} site(s) reachable, fewer than the minimum "
                f"{self.options.min_sites}",
                "Bring the sites up or lower --min-sites (the sites may still refuse).",
            )
        return self

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def __enter__(self) -> Network:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def participants(self) -> list[str]:
        """Names the sites mask against; empty = no masking."""
        return sorted(s.name for s in self.active) if self.options.masking else []

    def next_query_id(self) -> str:
        with self._lock:
            self._seq += 1
            return f"{self.run_id}:{self._seq:06d}"

    def call(self, function: str, *args: Any) -> dict[str, Payload]:
        """Run `federated.<function>(query_id, participants, *args)` at every active site."""
        if function not in EXPOSED_FUNCTIONS:
            raise StatisticsError(f"{function} is not a protocol function", "A bug: report it.")
        query_id = self.next_query_id()
        stmt = sql.SQL("SELECT label, value FROM {}.{}({})").format(
            sql.Identifier(FEDERATED_SCHEMA),
            sql.Identifier(function),
            sql.SQL(", ").join([sql.Placeholder()] * (len(args) + 2)),
        )
        params = (query_id, self.participants, *args)

        def run(site: Site) -> Payload:
            rows = self._execute(site, stmt, params)
            return {str(label): Decimal(value) for label, value in rows}

        answers = self._parallel(self.active, run, raise_errors=True)
        return {site.name: answer for site, answer in zip(self.active, answers, strict=True)}

    def pooled(self, function: str, *args: Any) -> dict[str, float]:
        """The pooled (summed) answer of `function`: masks cancel in the sum."""
        return pooled_sum(self.call(function, *args))

    def call_rows(self, function: str, *args: Any) -> dict[str, list[tuple[Any, ...]]]:
        """Raw result rows per site (for functions that release more than label/value)."""
        query_id = self.next_query_id()
        stmt = sql.SQL("SELECT * FROM {}.{}({})").format(
            sql.Identifier(FEDERATED_SCHEMA),
            sql.Identifier(function),
            sql.SQL(", ").join([sql.Placeholder()] * (len(args) + 2)),
        )
        params = (query_id, self.participants, *args)
        answers = self._parallel(
            self.active, lambda site: self._execute(site, stmt, params), raise_errors=True
        )
        return {site.name: rows for site, rows in zip(self.active, answers, strict=True)}

    # --- transport -------------------------------------------------------------------------

    def _parallel(
        self, sites: Sequence[Site], fn: Callable[[Site], T], raise_errors: bool = False
    ) -> list[T]:
        with ThreadPoolExecutor(max_workers=max(1, len(sites))) as pool:
            futures = [pool.submit(fn, site) for site in sites]
            return [f.result() for f in futures]

    def _try_connect(self, site: Site) -> str | None:
        try:
            self._connection(site)
        except DatabaseUnreachableError as exc:
            return exc.what.split(": ", 1)[-1]
        return None

    def _connection(self, site: Site) -> psycopg.Connection:
        conn = self._conns.get(site.name)
        if conn is not None and not conn.closed:
            return conn
        last = ""
        for attempt in range(1, self.options.attempts + 1):
            try:
                conn = psycopg.connect(
                    site.url,
                    autocommit=True,
                    connect_timeout=self.options.connect_timeout,
                    options=f"-c statement_timeout={int(self.options.statement_timeout * 1000)}",
                    **site.connect_kwargs(),
                )
                self._conns[site.name] = conn
                return conn
            except psycopg.OperationalError as exc:
                last = first_line(exc)
                log.warning("site %s: attempt %d failed", site.name, attempt)
                if attempt < self.options.attempts:
                    time.sleep(self.options.retry_delay * attempt)
        raise DatabaseUnreachableError(
            f"site {site.name} ({site.display_url}) is unreachable: {last}",
            "Check that the site's server is up; or pass --allow-partial.",
        )

    def _execute(self, site: Site, stmt: sql.Composed, params: tuple[Any, ...]) -> list[Any]:
        for attempt in range(1, self.options.attempts + 1):
            conn = self._connection(site)
            try:
                return conn.execute(stmt, params).fetchall()
            except (psycopg.errors.RaiseException, psycopg.errors.InvalidParameterValue) as exc:
                raise _refusal(site, exc) from exc
            except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName) as exc:
                raise SchemaError(
                    f"site {site.name} has no federation functions ({first_line(exc)})",
                    "Ask the site to run `rwe federate site-setup`.",
                ) from exc
            except (psycopg.OperationalError, psycopg.errors.QueryCanceled) as exc:
                conn.close()
                log.warning("site %s: query attempt %d failed", site.name, attempt)
                if attempt == self.options.attempts:
                    raise DatabaseUnreachableError(
                        f"site {site.name} ({site.display_url}) failed or timed out "
                        f"{attempt} times: {first_line(exc)}",
                        "Check the site's server; a site lost mid-run cannot be left out "
                        "(its peers' masks would not cancel): rerun, with --allow-partial if "
                        "it stays down.",
                    ) from exc
                time.sleep(self.options.retry_delay * attempt)
        raise AssertionError("unreachable")


def _refusal(site: Site, exc: psycopg.Error) -> StatisticsError:
    text = first_line(exc)
    if text.startswith(REFUSED):
        return StatisticsError(
            f"site {site.name} refused: {text[len(REFUSED) :]}",
            "The site's disclosure rules forbid this analysis; choose a coarser analysis or "
            "ask the site about its rules.",
        )
    return StatisticsError(f"site {site.name} rejected the query: {text}", "A bug: report it.")
