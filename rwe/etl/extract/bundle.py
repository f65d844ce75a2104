"""Single-resource JSON files and Bundles (transaction, batch, collection, searchset, ...):
entries with `urn:uuid:` full URLs resolved, nested Bundles opened, DELETE requests read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from rwe.etl.extract.batch import Batch, Deletion, Entry, InputError


def read_json_file(path: Path, name: str | None = None) -> Iterator[Batch]:
    """One JSON file: a resource, a Bundle, or something that is not FHIR (an input error)."""
    label = name or str(path)
    data = path.read_bytes()
    batch = Batch(label, done=len(data), total=len(data))
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        batch.errors.append(InputError(_line_of(data, exc), f"invalid JSON: {exc}"))
        yield batch
        return
    add_document(batch, document)
    yield batch


def _line_of(data: bytes, exc: orjson.JSONDecodeError) -> int:
    return data[: max(exc.pos, 0)].count(b"\n") + 1


def add_document(batch: Batch, document: Any) -> None:
    """Add a parsed JSON document (resource or Bundle) to `batch`."""
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        _add_bundle(batch, document, [0])
    else:
        batch.entries.append(Entry(1, document, {}))


def _add_bundle(batch: Batch, bundle: dict[str, Any], counter: list[int]) -> None:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        batch.errors.append(InputError(1, "Bundle.entry is not an array"))
        return
    refs: dict[str, tuple[str, str]] = {}
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(entry.get("fullUrl"), str):
            kind = resource.get("resourceType")
            ident = resource.get("id") or entry["fullUrl"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            if isinstance(kind, str) and isinstance(ident, str):
                refs[entry["fullUrl"]] = (kind, ident)
                if not resource.get("id"):
                    resource["id"] = ident
    for entry in entries:
        counter[0] += 1
        number = counter[0]
        if not isinstance(entry, dict):
            batch.errors.append(InputError(number, f"Bundle entry {number} is not an object"))
            continue
        resource = entry.get("resource")
        request = entry.get("request")
        if isinstance(request, dict) and request.get("method") == "DELETE":
            url = str(request.get("url") or "")
            parts = url.split("?")[0].split("/")
            if len(parts) >= 2:
                batch.deletions.append(Deletion(number, parts[-2], parts[-1], None))
            continue
        if resource is None:
            continue  # request-only or response-only entries carry no resource
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            _add_bundle(batch, resource, counter)
            continue
        batch.entries.append(Entry(number, resource, refs))
