"""A Bulk Data export manifest: its `output` NDJSON files, its `deleted` Bundles (→ deletions)
and its `error` OperationOutcomes (counted in the report)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson

from rwe.errors import BadInputError
from rwe.etl.extract.batch import Batch, Deletion, InputError, Source
from rwe.etl.extract.ndjson import read_ndjson


def is_manifest(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("output"), list)
        and "resourceType" not in document
    )


def local_file(base: Path, url: str) -> Path:
    """Where a manifest URL's file is: a relative path, or an http URL's name beside it."""
    parsed = urlparse(url)
    name = Path(parsed.path).name if parsed.scheme else url
    path = (base / name) if parsed.scheme else (base / url)
    return path


def manifest_sources(path: Path, document: dict[str, Any]) -> tuple[list[Source], set[Path]]:
    """The sources a manifest lists, and the files it covers (not to be read twice)."""
    base = path.parent
    since = document.get("transactionTime")
    sources: list[Source] = []
    covered: set[Path] = {path}
    missing: list[str] = []
    for kind in ("output", "deleted", "error"):
        for item in document.get(kind) or []:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str):
                raise BadInputError(
                    f"{path}: a manifest {kind} entry has no url",
                    "Use the manifest the FHIR server wrote.",
                )
            file = local_file(base, url)
            if not file.exists():
                missing.append(file.name)
                continue
            covered.add(file)
            if kind == "output":
                sources.append(Source(str(file), partial(read_ndjson, file)))
            elif kind == "deleted":
                sources.append(Source(str(file), partial(read_deleted, file, since)))
            else:
                sources.append(Source(str(file), partial(read_errors, file)))
    if missing:
        raise BadInputError(
            f"{path}: {len(missing)} file(s) the manifest lists are missing "
            f"({', '.join(sorted(missing)[:5])})",
            "Download the whole export again; nothing was loaded.",
        )
    return sources, covered


def read_deleted(path: Path, when: str | None) -> Iterator[Batch]:
    """Deleted-resource Bundles (one per line): each DELETE entry → a `Deletion`."""
    for batch in read_ndjson(path):
        out = Batch(batch.source, batch.first_line, done=batch.done, total=batch.total)
        for offset, line in enumerate(batch.lines):
            if not line.strip():
                continue
            number = batch.first_line + offset
            try:
                bundle = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                out.errors.append(InputError(number, f"invalid JSON: {exc}"))
                continue
            entries = bundle.get("entry") if isinstance(bundle, dict) else None
            for entry in entries or []:
                request = entry.get("request") if isinstance(entry, dict) else None
                url = request.get("url") if isinstance(request, dict) else None
                parts = str(url or "").split("?")[0].split("/")
                if len(parts) >= 2 and parts[-1]:
                    out.deletions.append(Deletion(number, parts[-2], parts[-1], when))
                else:
                    out.errors.append(InputError(number, "deleted entry without Type/id url"))
        yield out


def read_errors(path: Path) -> Iterator[Batch]:
    """Export error files hold OperationOutcomes: no resources; the report counts them."""
    for batch in read_ndjson(path):
        yield Batch(
            batch.source,
            batch.first_line,
            done=batch.done,
            total=batch.total,
            errors=[
                InputError(batch.first_line + i, "export-error")
                for i, line in enumerate(batch.lines)
                if line.strip()
            ],
        )
