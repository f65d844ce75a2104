"""A small FHIR HTTP client: bearer token, retries with backoff on 429/5xx (honouring
Retry-After), JSON or raw downloads. Standard library only."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from rwe.errors import BadInputError

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_ATTEMPTS = 5
MAX_WAIT = 120.0


class HttpStatusError(BadInputError):
    """The server answered an HTTP error that retrying will not fix."""

    def __init__(self, what: str, fix: str, status: int) -> None:
        super().__init__(what, fix)
        self.status = status


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return orjson.loads(self.body)


class FhirClient:
    """GETs with retries; `sleep` is injectable so tests need not wait."""

    def __init__(
        self,
        token: str | None,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 1.0,
        timeout: float = 60.0,
    ) -> None:
        self.token = token
        self.sleep = sleep
        self.backoff = backoff
        self.timeout = timeout

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        to_file: Path | None = None,
    ) -> Response:
        """GET `url`; retries 429/5xx and network errors, then raises `BadInputError`."""
        wanted = {"Accept": "application/fhir+json", **(headers or {})}
        if self.token:
            wanted["Authorization"] = f"Bearer {self.token}"
        last = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            request = urllib.request.Request(url, headers=wanted)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    status = reply.status
                    head = {k.lower(): v for k, v in reply.headers.items()}
                    if to_file is not None and status == 200:
                        _save(reply, to_file)
                        return Response(status, head, b"")
                    return Response(status, head, reply.read())
            except urllib.error.HTTPError as exc:
                head = {k.lower(): v for k, v in (exc.headers or {}).items()}
                if exc.code not in RETRY_STATUS:
                    raise HttpStatusError(
                        f"the FHIR server answered {exc.code} {exc.reason} for {_short(url)}",
                        "Check the URL and the token (--token-env)."
                        if exc.code in (401, 403)
                        else "Check the server URL and its logs.",
                        exc.code,
                    ) from exc
                last = f"{exc.code} {exc.reason}"
                wait = _retry_after(head.get("retry-after"), self.backoff * 2 ** (attempt - 1))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc))
                wait = self.backoff * 2 ** (attempt - 1)
            if attempt < MAX_ATTEMPTS:
                log.info("FHIR server: %s; retry %d in %.0f s", last, attempt, wait)
                self.sleep(wait)
        raise BadInputError(
            f"the FHIR server kept failing for {_short(url)} ({last}) after {MAX_ATTEMPTS} tries",
            "Try again later; an interrupted bulk export resumes where it stopped.",
        )


def _save(reply: Any, path: Path) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    with partial.open("wb") as out:
        while chunk := reply.read(1 << 20):
            out.write(chunk)
    partial.replace(path)  # a file is there only once complete (resume skips it)


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return min(default, MAX_WAIT)
    try:
        return min(max(float(value), 0.0), MAX_WAIT)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            return min(max(when.timestamp() - time.time(), 0.0), MAX_WAIT)
        except (TypeError, ValueError):
            return min(default, MAX_WAIT)


def _short(url: str) -> str:
    return url.split("?")[0]
