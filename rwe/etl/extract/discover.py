"""Turn SOURCE arguments (files, folders, manifests, server URLs) into readable sources."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import orjson

from rwe.errors import BadInputError
from rwe.etl.extract.batch import Source, named_type
from rwe.etl.extract.bundle import read_json_file
from rwe.etl.extract.manifest import is_manifest, manifest_sources
from rwe.etl.extract.ndjson import read_ndjson

log = logging.getLogger(__name__)

# Bulk-export tools write an event log beside the data; it holds no resources.
IGNORED_NAMES = {"log.ndjson"}


def _is_ndjson(path: Path) -> bool:
    return path.name.endswith((".ndjson", ".ndjson.gz", ".jsonl"))


def discover(arguments: list[str]) -> list[Source]:
    """The sources of local SOURCE arguments, in a stable order (a manifest's files once)."""
    sources: list[Source] = []
    for argument in arguments:
        path = Path(argument)
        if not path.exists():
            raise BadInputError(f"{argument} does not exist", "Pass NDJSON/JSON files or folders.")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        covered: set[Path] = set()
        manifests = [f for f in files if f.suffix == ".json" and _manifest(f) is not None]
        for file in manifests:
            found, files_covered = manifest_sources(file, _manifest(file) or {})
            sources.extend(found)
            covered |= files_covered
        manifest_dirs = {m.parent for m in manifests}
        for file in sorted(files, key=_read_order):
            if file in covered:
                continue
            if file.parent in manifest_dirs:
                # A bulk export is what its manifest lists (truth files, logs beside it are not).
                log.info("skipping %s: not listed in the export manifest beside it", file)
                continue
            if path.is_dir() and file.name in IGNORED_NAMES:
                log.info("skipping %s (a bulk-export log, not resources)", file)
                continue
            if _is_ndjson(file):
                sources.append(Source(str(file), partial(read_ndjson, file)))
            elif file.suffix == ".json":
                sources.append(Source(str(file), partial(read_json_file, file)))
            elif not path.is_dir():
                raise BadInputError(
                    f"{file} is neither .json, .ndjson nor .ndjson.gz",
                    "Pass FHIR JSON or NDJSON files.",
                )
    return sources


# Files named after a resource type that others point to are read first (Patients, then
# Encounters, then Medications; each group by name), so references resolve while reading: a
# first load COPYs most Observations straight in (rwe.etl.direct). A file of another name
# keeps its place by name; whatever the order, the loaded result is the same.
_TARGET_ORDER = {"Patient": 0, "Encounter": 1, "Medication": 2}


def _read_order(path: Path) -> tuple[int, Path]:
    return _TARGET_ORDER.get(named_type(path) or "", 3), path


def _manifest(path: Path) -> dict[str, object] | None:
    if path.stat().st_size > 10 << 20:
        return None  # manifests are small; a big .json is a Bundle
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return None
    return document if is_manifest(document) else None
