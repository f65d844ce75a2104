"""FHIR server sources: search with paging over `next` links (first run), `_history` since the
last successful run (later runs: updates and deletions), or Bulk Data `$export` (kick-off,
polling with Retry-After, download, resume after an interruption)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg

from rwe.db.connection import Database
from rwe.errors import BadInputError
from rwe.etl.extract.batch import Batch, Deletion, Source
from rwe.etl.extract.bundle import add_document
from rwe.etl.extract.http import FhirClient, HttpStatusError
from rwe.etl.extract.manifest import manifest_sources
from rwe.etl.transform import TRANSFORMS

log = logging.getLogger(__name__)

PAGE_SIZE = 500
CURSOR_MARGIN = dt.timedelta(minutes=5)
NO_HISTORY = {400, 404, 405, 501}  # statuses of servers without Type/_history
EXPORT_POLL_LIMIT = 10_000


def server_sources(db: Database, conn: psycopg.Connection, base: str, options: Any) -> list[Source]:
    """The sources of one server base URL (see module docstring)."""
    base = base.rstrip("/")
    token = os.environ.get(options.token_env) if options.token_env else None
    client = options.extra.get("client") or FhirClient(token)
    since = options.since or _cursor(conn, db, base)
    if options.bulk_export:
        work = Path(options.extra.get("work_dir") or _work_dir(base))
        return BulkExport(db, client, base, since, work).sources()
    reader = SearchReader(db, client, base, since)
    return [Source(base, reader)]


def _cursor(conn: psycopg.Connection, db: Database, base: str) -> str | None:
    row = conn.execute(
        f"SELECT since FROM {db.rwe_schema}.source_cursor WHERE source = %s", (base,)
    ).fetchone()
    return row[0].isoformat() if row else None


def _work_dir(base: str) -> Path:
    from rwe.config import default_data_dir

    return default_data_dir() / "exports" / hashlib.sha256(base.encode()).hexdigest()[:16]


def _store_cursor(
    conn: psycopg.Connection, db: Database, base: str, since: str, run_id: int
) -> None:
    conn.execute(
        f"INSERT INTO {db.rwe_schema}.source_cursor (source, since, run_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (source) DO UPDATE SET since = EXCLUDED.since, run_id = EXCLUDED.run_id",
        (base, since, run_id),
    )


class SearchReader:
    """Pages through `Type?_lastUpdated=gt..` (or `Type/_history?_since=..`) for each type."""

    def __init__(self, db: Database, client: FhirClient, base: str, since: str | None) -> None:
        self.db, self.client, self.base, self.since = db, client, base, since
        # The next run asks from a little before this one started (clock skew); resources seen
        # twice are skipped as unchanged.
        self.started = (dt.datetime.now(dt.UTC) - CURSOR_MARGIN).isoformat()

    def __call__(self) -> Iterator[Batch]:
        pages = 0
        for kind in TRANSFORMS:
            if self.since:  # history gives updates and deletions since the last run
                url = f"{self.base}/{kind}/_history?" + urlencode(
                    {"_since": self.since, "_count": PAGE_SIZE}
                )
            else:
                url = f"{self.base}/{kind}?" + urlencode({"_count": PAGE_SIZE})
            try:
                for batch in self._pages(url, pages):
                    pages = batch.done
                    yield batch
            except HttpStatusError as exc:
                if not self.since or exc.status not in NO_HISTORY:
                    raise
                # No _history on this server: search what changed (deletions stay unseen).
                log.warning(
                    "%s/%s/_history is not supported; searching by _lastUpdated", self.base, kind
                )
                url = f"{self.base}/{kind}?" + urlencode(
                    {"_lastUpdated": f"gt{self.since}", "_count": PAGE_SIZE}
                )
                for batch in self._pages(url, pages):
                    pages = batch.done
                    yield batch

    def _pages(self, url: str, pages: int) -> Iterator[Batch]:
        next_url: str | None = url
        while next_url:
            bundle = self.client.get(next_url).json()
            pages += 1
            batch = Batch(self.base, done=pages, total=0)
            _add_page(batch, bundle)
            yield batch
            next_url = _next_link(bundle)

    def on_commit(self, conn: psycopg.Connection, run_id: int) -> None:
        """After a successful run the next one asks only for what changed since this one."""
        _store_cursor(conn, self.db, self.base, self.started, run_id)


def _add_page(batch: Batch, bundle: Any) -> None:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadInputError(
            "the FHIR server answered something that is not a Bundle", "Check the server base URL."
        )
    for index, entry in enumerate(bundle.get("entry") or [], start=1):
        request = entry.get("request") if isinstance(entry, dict) else None
        if isinstance(request, dict) and request.get("method") == "DELETE":
            parts = str(request.get("url") or "").split("?")[0].split("/")
            response = entry.get("response") or {}
            if len(parts) >= 2:
                batch.deletions.append(
                    Deletion(index, parts[-2], parts[-1], response.get("lastModified"))
                )
    entries = [
        e
        for e in bundle.get("entry") or []
        if isinstance(e, dict)
        and "resource" in e
        and (e.get("search") or {}).get("mode", "match") == "match"
    ]
    add_document(batch, {"resourceType": "Bundle", "type": "collection", "entry": entries})


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next":
            return str(link.get("url"))
    return None


class _CommitHook:
    """A source with no resources whose `on_commit` records the export as loaded."""

    def __init__(self, hook: Any) -> None:
        self.on_commit = hook

    def __call__(self) -> Iterator[Batch]:
        return iter(())


class BulkExport:
    """Bulk Data `$export`: the kick-off and download state live in `work/state.json`, so an
    interrupted run resumes polling and downloading instead of starting a new export."""

    def __init__(
        self, db: Database, client: FhirClient, base: str, since: str | None, work: Path
    ) -> None:
        self.db, self.client, self.base, self.since, self.work = db, client, base, since, work
        self.state_file = work / "state.json"

    def sources(self) -> list[Source]:
        self.work.mkdir(parents=True, exist_ok=True)
        state = self._state()
        if not state.get("status_url"):
            state = {"status_url": self._kick_off(), "since": self.since}
            self._save(state)
        if not state.get("manifest"):
            state["manifest"] = self._poll(state["status_url"])
            self._save(state)
        manifest = state["manifest"]
        local = {
            "transactionTime": manifest.get("transactionTime"),
            "output": [],
            "deleted": [],
            "error": [],
        }
        for kind in ("output", "deleted", "error"):
            for number, item in enumerate(manifest.get(kind) or []):
                name = f"{kind}-{number:04d}-{item.get('type', 'x')}.ndjson"
                target = self.work / name
                if not target.exists():
                    headers = {"Accept": "application/fhir+ndjson"}
                    self.client.get(str(item["url"]), headers, to_file=target)
                local[kind].append({"type": item.get("type"), "url": name})
        (self.work / "manifest.json").write_text(json.dumps(local))
        sources, _ = manifest_sources(self.work / "manifest.json", local)
        return [
            *sources,
            Source(self.base, _CommitHook(self._on_commit(str(local["transactionTime"])))),
        ]

    def _kick_off(self) -> str:
        query = {"_type": ",".join(TRANSFORMS)}
        if self.since:
            query["_since"] = self.since
        reply = self.client.get(
            f"{self.base}/$export?{urlencode(query)}", {"Prefer": "respond-async"}
        )
        location = reply.headers.get("content-location")
        if reply.status != 202 or not location:
            raise BadInputError(
                f"the FHIR server did not start a bulk export (HTTP {reply.status})",
                "Check that it supports Bulk Data $export, or drop --bulk-export.",
            )
        return location

    def _poll(self, status_url: str) -> dict[str, Any]:
        for _ in range(EXPORT_POLL_LIMIT):
            reply = self.client.get(status_url)
            if reply.status == 200:
                return dict(reply.json())
            wait = float(reply.headers.get("retry-after") or 10)
            log.info(
                "bulk export in progress (%s); next poll in %.0f s",
                reply.headers.get("x-progress", "?"),
                wait,
            )
            self.client.sleep(min(wait, 120.0))
        raise BadInputError("the bulk export did not finish", "Try again later (it resumes).")

    def _on_commit(self, transaction_time: str) -> Any:
        def hook(conn: psycopg.Connection, run_id: int) -> None:
            _store_cursor(conn, self.db, self.base, transaction_time, run_id)
            for file in self.work.iterdir():  # loaded: the next run starts a new export
                file.unlink()

        return hook

    def _state(self) -> dict[str, Any]:
        if self.state_file.exists():
            return dict(json.loads(self.state_file.read_text()))
        return {}

    def _save(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))
