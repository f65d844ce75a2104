"""The first load's pre-read (rwe.etl.direct): the Observation ids, and the Encounter, Condition
and MedicationStatement ids, that may occur more than once in the NDJSON inputs (as hashes),
which the direct path must leave to staging. This module imports little (numpy, the readers):
a large input is pre-read in a spawned process that loads only it.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import time
import zlib
from array import array
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import numpy as np

from rwe.etl.extract.batch import Source, named_type

log = logging.getLogger(__name__)

_ID = re.compile(rb'"id"\s*:\s*"([^"\\]*)"')
# The generic types the direct path loads (rwe.etl.direct.GENERIC), as a line's resourceType.
_GENERIC_TYPE = re.compile(rb'"resourceType"\s*:\s*"(Encounter|Condition|MedicationStatement)"')


def _observation_ids(sources: list[Source]) -> Iterator[bytes]:
    """The first `"id":"..."` of each Observation line of the NDJSON inputs: on a line the
    fast path accepts, its bytes are the UTF-8 of the decoded id (the fast path takes no line
    with escapes), and it is the resource's own id unless an element written before that
    carries an `id` of its own (`"meta": {"id": ...}`; serializers write the resource's id
    second). Then a repeat of the resource's id is missed here, and the id map's unique key
    catches it when both are COPYed directly: the run starts over through staging."""
    for source in _line_sources(sources):
        for batch in source.batches():
            for line in batch.lines:
                if b'"Observation"' in line:
                    match = _ID.search(line)
                    if match is not None:
                        yield match.group(1)


def _generic_ids(sources: list[Source]) -> Iterator[bytes]:
    """`Type/id` of each Encounter, Condition and MedicationStatement line (its first
    `resourceType` and first `"id"`, as `_observation_ids` takes them) of the inputs not named
    as Observation files (`Observation.000.ndjson`: a bulk export's one file per type), so
    that this part is done while the run still reads the Patients. A repeat inside a file
    named for Observations is missed here; the id map's unique key or the run's check
    (rwe/sql/etl/direct_check.sql) catches it and the run starts over through staging."""
    for source in _line_sources(sources):
        if named_type(source.name) == "Observation":
            continue
        for batch in source.batches():
            for line in batch.lines:
                kind = _GENERIC_TYPE.search(line)
                if kind is not None:
                    match = _ID.search(line)
                    if match is not None:
                        yield kind.group(1) + b"/" + match.group(1)


def _line_sources(sources: list[Source]) -> Iterator[Source]:
    """The sources that may hold NDJSON lines: not the Bundle and resource `.json` files, whose
    entries the direct path never takes (reading them here would parse each file again)."""
    return (source for source in sources if not source.name.endswith(".json"))


def id_hash(ident: bytes) -> int:
    """The pre-read's hash of an id's UTF-8 bytes: the same in every process (unlike hash())."""
    return zlib.crc32(ident)


def repeated_ids(sources: list[Source]) -> frozenset[int]:
    """`id_hash` of the ids that may occur on more than one Observation line of the NDJSON
    inputs: Observations whose id has one of these hashes are staged, so the merge ranks their
    versions. A hash is 4 bytes per line (sorted in place: 35 MB for 8.8 M lines); ids whose
    hashes merely collide are staged too, which is as correct and costs little (a uniform
    hash gives ≈ n²/2³³ pairs; CRC-32 on the benchmark's regular ids staged 43,008 of 8.8 M
    labs)."""
    return _repeated(_observation_ids(sources))


def repeated_generic(sources: list[Source]) -> frozenset[int]:
    """`id_hash(b"Type/id")` of the Encounters, Conditions and MedicationStatements that may
    occur more than once (`_generic_ids`); the direct path stages them."""
    return _repeated(_generic_ids(sources))


def _repeated(idents: Iterator[bytes]) -> frozenset[int]:
    found = array("I")
    for ident in idents:
        found.append(id_hash(ident))
    if len(found) < 2:
        return frozenset()
    hashes = np.frombuffer(found, dtype=f"u{found.itemsize}")  # a view of `found`
    hashes.sort()
    same = hashes[1:] == hashes[:-1]
    return frozenset(int(h) for h in np.unique(hashes[1:][same]))


def _pre_read_process(conn: Connection, sources: list[Source]) -> None:
    try:
        conn.send(repeated_generic(sources))  # first: the run needs it at its first Encounter
        conn.send(repeated_ids(sources))
    except BaseException as exc:  # the parent pre-reads itself and reports what broke
        conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


_NO_PROCESS = object()


class PreRead:
    """`repeated_generic` and `repeated_ids` of the run's sources. For a large input they are
    worked out in a spawned process, on the core PostgreSQL leaves idle while this one reads
    the files that come before the Observations (Patients, Encounters, ...:
    rwe.etl.extract.discover's order), the generic types' first; a small input is pre-read
    here when first needed (starting a process costs more)."""

    def __init__(self, sources: list[Source], background: bool) -> None:
        self._sources = sources
        self._generic: frozenset[int] | None = None
        self._value: frozenset[int] | None = None
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        if background:
            context = multiprocessing.get_context("spawn")
            self._conn, child = context.Pipe(duplex=False)
            self._process = context.Process(
                target=_pre_read_process, args=(child, sources), name="rwe-pre-read", daemon=True
            )
            try:
                self._process.start()
            except OSError as exc:  # no process to be had: result() pre-reads here
                log.debug("pre-read process not started (%s)", exc)
                self._process = None
                self._conn.close()
                self._conn = None
            child.close()

    def generic(self) -> frozenset[int]:
        """`repeated_generic` of the sources."""
        if self._generic is None:
            value = self._receive("generic")
            if not isinstance(value, frozenset):
                self._failed(value)
                value = repeated_generic(self._sources)  # a read error is raised here
            self._generic = value
        return self._generic

    def result(self) -> frozenset[int]:
        """`repeated_ids` of the sources."""
        if self._value is not None:
            return self._value
        self.generic()  # the process sends it first
        value = self._receive("Observation")
        self.close()
        if not isinstance(value, frozenset):
            self._failed(value)
            value = repeated_ids(self._sources)  # a read error is raised here, as it would be
        self._value = value
        return value

    def _receive(self, part: str) -> object:
        """The process's next answer: a frozenset, why it failed (text), None if it died;
        _NO_PROCESS without one (a small input, or it failed before)."""
        if self._conn is None:
            return _NO_PROCESS
        started = time.monotonic()
        try:
            value = self._conn.recv()
        except (EOFError, OSError):
            value = None  # the process died (killed, out of memory)
        log.debug(
            "waited %.2f s for the pre-read process (%s ids)", time.monotonic() - started, part
        )
        return value

    def _failed(self, value: object) -> None:
        if value is not _NO_PROCESS:
            log.debug("pre-read process failed (%s); pre-reading here", value or "it died")
        self.close()  # whatever else it would send, this process works it out

    def close(self) -> None:
        """Stop the process if it still runs (the run ended first)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None
