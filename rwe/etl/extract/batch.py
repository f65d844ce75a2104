"""What readers yield: batches of raw NDJSON lines, parsed entries, deletions or input errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple

BATCH_LINES = 4096
# A file named after a resource type: `Patient.000.ndjson`, `1.Patient.ndjson`, `Patient_2.ndjson`.
_TYPE_PREFIX = re.compile(r"^(?:\d+[._-])?([A-Za-z]+)(?:[._\-\d]|$)")


def named_type(path: str | PurePath) -> str | None:
    """The resource type a file's name gives (a bulk export's one file per type), if any."""
    match = _TYPE_PREFIX.match(PurePath(path).name)
    return match.group(1) if match else None


class Entry(NamedTuple):
    """A resource already parsed (Bundle entry, single JSON file), with the Bundle's refs."""

    line: int
    resource: Any
    refs: Mapping[str, tuple[str, str]]


class Deletion(NamedTuple):
    """A deleted resource (bulk `deleted` entry, server history DELETE)."""

    line: int
    resource_type: str
    fhir_id: str
    when: str | None


class InputError(NamedTuple):
    """Input that holds no readable resource (invalid JSON file, not an object, ...)."""

    line: int
    reason: str


@dataclass
class Batch:
    """A slice of one source file: `lines` (raw NDJSON, numbered from `first_line`),
    `entries`, `deletions` or `errors`; `done`/`total` bytes drive the progress bar."""

    source: str
    first_line: int = 1
    lines: list[bytes] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    done: int = 0
    total: int = 0


# A source: a name (for the report) and a function yielding its batches.
class Source(NamedTuple):
    name: str
    batches: Callable[[], Iterator[Batch]]
