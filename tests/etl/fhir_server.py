"""A small FHIR server for the tests (http.server in a thread on 127.0.0.1): search with
paging, `_history`, Bulk Data `$export` with polling, a bearer token, injectable failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "secret-token"
PAGE = 2


@dataclass
class FakeFhir:
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # Bundle entries, in order
    failures: dict[str, list[int]] = field(default_factory=dict)  # path prefix -> statuses
    requests: list[str] = field(default_factory=list)
    kickoffs: int = 0
    polls_before_ready: int = 1
    has_history: bool = True
    base: str = ""

    def fail(self, path: str) -> int | None:
        for prefix, statuses in self.failures.items():
            if path.startswith(prefix) and statuses:
                return statuses.pop(0)
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        fhir = self.server.fhir
        url = urlparse(self.path)
        fhir.requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"resourceType": "OperationOutcome"})
        status = fhir.fail(url.path)
        if status:
            return self._send(status, {}, {"Retry-After": "0"})
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")[1:]  # drop "fhir"
        if parts == ["$export"]:
            fhir.kickoffs += 1
            return self._send(202, {}, {"Content-Location": f"{fhir.base}/status/1"})
        if parts[:1] == ["status"]:
            if fhir.polls_before_ready > 0:
                fhir.polls_before_ready -= 1
                return self._send(202, {}, {"Retry-After": "0", "X-Progress": "50%"})
            return self._send(200, self._manifest())
        if parts[:1] == ["files"]:
            kind = parts[1].split(".")[0]
            body = "".join(json.dumps(r) + "\n" for r in fhir.resources.get(kind, []))
            return self._raw(200, body.encode(), "application/fhir+ndjson")
        if len(parts) == 2 and parts[1] == "_history" and not fhir.has_history:
            return self._send(404, {"resourceType": "OperationOutcome"})
        if len(parts) == 2 and parts[1] == "_history":
            since = query.get("_since", "")
            entries = [
                e
                for e in fhir.history
                if e["response"]["lastModified"] > since and e["type"] == parts[0]
            ]
            return self._send(
                200,
                _bundle("history", [{k: v for k, v in e.items() if k != "type"} for e in entries]),
            )
        if len(parts) == 1:
            items = fhir.resources.get(parts[0], [])
            if "_lastUpdated" in query:
                since = query["_lastUpdated"].removeprefix("gt")
                items = [r for r in items if r["meta"]["lastUpdated"] > since]
            page = int(query.get("_page", "0"))
            chunk = items[page * PAGE : (page + 1) * PAGE]
            links = [{"relation": "self", "url": f"{fhir.base}{self.path}"}]
            if (page + 1) * PAGE < len(items):
                links.append(
                    {"relation": "next", "url": f"{fhir.base}/{parts[0]}?_count=2&_page={page + 1}"}
                )
            bundle = _bundle(
                "searchset", [{"resource": r, "search": {"mode": "match"}} for r in chunk]
            )
            bundle["link"] = links
            return self._send(200, bundle)
        return self._send(404, {"resourceType": "OperationOutcome"})

    def _manifest(self) -> dict[str, Any]:
        fhir = self.server.fhir
        return {
            "transactionTime": "2024-06-01T02:00:00Z",
            "request": f"{fhir.base}/$export",
            "requiresAccessToken": True,
            "output": [{"type": k, "url": f"{fhir.base}/files/{k}.ndjson"} for k in fhir.resources],
            "deleted": [],
            "error": [],
        }

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(body).encode(), "application/fhir+json", headers)

    def _raw(
        self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def _bundle(kind: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


class _Server(ThreadingHTTPServer):
    fhir: FakeFhir


@contextmanager
def fhir_server(fhir: FakeFhir) -> Iterator[FakeFhir]:
    """Serve `fhir` on 127.0.0.1 (a free port) for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fhir = fhir
    fhir.base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fhir
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
