"""Per-batch work of a run: hash, skip unchanged, decode, check structure, transform, stage."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import orjson

from rwe.etl.dates import DateError, parse_when
from rwe.etl.direct import Direct
from rwe.etl.extract.batch import Batch
from rwe.etl.fast import FastObservation
from rwe.etl.load import DELIMITER, RowBuffer
from rwe.etl.shape import explain, structure_problem
from rwe.etl.skip import DeferredSkipSet, SkipSet, content_hash
from rwe.etl.transform import TRANSFORMS, Context, RejectError

log = logging.getLogger(__name__)

TYPE_NAMES = tuple(TRANSFORMS)  # index <-> name in the skip set
TYPE_INDEX = {name: i for i, name in enumerate(TYPE_NAMES)}
UNREADABLE = "(unreadable)"  # input with no resource type (invalid JSON, not an object)
UNSUPPORTED = "resource type not loaded by rwe (§f2o-010)"


class Counts:
    """What the run read, rejected and excluded before the merge (per resource type)."""

    def __init__(self) -> None:
        self.read: Counter[str] = Counter()
        self.unchanged: Counter[str] = Counter()
        self.rejected: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.unsupported: Counter[str] = Counter()
        self.deletions: Counter[str] = Counter()
        self.export_errors = 0


class Pipeline:
    """Turns batches into staged rows; rejects go to the stager too (never dropped)."""

    def __init__(
        self,
        ctx: Context,
        stager: RowBuffer,
        skip: SkipSet | DeferredSkipSet,
        salt: int,
        direct: Direct | None = None,
    ) -> None:
        self.ctx = ctx
        self.direct = direct  # a first load's direct path (rwe.etl.direct), or None
        self.stager = stager
        self.skip = skip
        self.salt = salt
        self.counts = Counts()
        self.occ = 0
        self.fast = FastObservation(ctx)

    def process(self, batch: Batch, file_no: int) -> None:
        if batch.lines:
            self._lines(batch, file_no)
        for entry in batch.entries:
            raw = orjson.dumps(entry.resource) if isinstance(entry.resource, dict) else b""
            self._resource(
                entry.resource, content_hash(raw, self.salt), file_no, entry.line, entry.refs
            )
        for deletion in batch.deletions:
            self.occ += 1
            self.counts.deletions[deletion.resource_type] += 1
            self.stager.add(
                "stg_resource",
                (
                    self.occ,
                    deletion.resource_type,
                    deletion.fhir_id,
                    deletion.when,
                    "deleted",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    file_no,
                    deletion.line,
                ),
            )
        for error in batch.errors:
            if error.reason == "export-error":
                self.counts.export_errors += 1
                continue
            self._reject(file_no, error.line, UNREADABLE, None, error.reason, None)

    def _lines(self, batch: Batch, file_no: int) -> None:
        self.decode_lines(self.changed_lines(batch), file_no)

    def changed_lines(self, batch: Batch) -> list[tuple[int, bytes, int]]:
        """(line number, bytes, hash) of the batch's lines not loaded before; the unchanged
        ones are counted as read and loaded without being decoded."""
        salt = self.salt
        first = batch.first_line
        lines = [(first + i, line.strip()) for i, line in enumerate(batch.lines)]
        lines = [(n, line) for n, line in lines if line]
        hashes = [content_hash(line, salt) for _, line in lines]
        found, types = self.skip.lookup(hashes)
        todo = []
        for (number, line), digest, hit, type_index in zip(
            lines, hashes, found.tolist(), types.tolist(), strict=True
        ):
            if hit:
                kind = TYPE_NAMES[type_index]
                self.counts.read[kind] += 1
                self.counts.unchanged[kind] += 1
            else:
                todo.append((number, line, digest))
        return todo

    def decode_lines(self, todo: list[tuple[int, bytes, int]], file_no: int) -> None:
        """Decode, check and transform lines (in this process or a worker)."""
        parts = self.fast.parts
        add_line = self.stager.add_line
        add_pair = self.stager.add_pair
        direct = self.direct
        d = DELIMITER
        labs = 0  # fast-path Observations read: counted once per call (≈ 0.1 µs a lab)
        try:
            for number, line, digest in todo:
                hit = parts(line) if b"Observation" in line else None
                if hit is not None:  # the common lab Observation (rwe.etl.fast), as text
                    labs += 1
                    self.occ += 1
                    occ = self.occ
                    if direct is not None:
                        rows = direct.row(occ, digest, hit)
                        if rows is not None:
                            add_pair(rows)
                            continue
                    ident, last_updated, person, visit, event = self.fast.text(hit)
                    add_line(
                        "stg_resource",
                        f"{occ}{d}Observation{d}{ident}{d}{last_updated}{d}loaded{d}{d}{person}"
                        f"{d}{visit}{d}{d}{digest}{d}1{d}{file_no}{d}{number}",
                    )
                    add_line("stg_event", f"{occ}{d}{event}")
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    self._reject(file_no, number, UNREADABLE, None, f"invalid JSON: {exc}")
                    continue
                self._resource(resource, digest, file_no, number, {}, from_ndjson=True)
        finally:
            if labs:  # (+= 0 would add a type the input does not have to the report)
                self.counts.read["Observation"] += labs

    def _resource(
        self,
        resource: Any,
        digest: int,
        file_no: int,
        line: int,
        refs: Mapping[str, tuple[str, str]],
        from_ndjson: bool = False,
    ) -> None:
        """One decoded resource: checked, transformed, staged (or, an NDJSON line on a first
        load, maybe COPYed directly: rwe.etl.direct; the pre-read sees only such lines)."""
        if not isinstance(resource, dict):
            self._reject(file_no, line, UNREADABLE, None, "not a JSON object (a FHIR resource)")
            return
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            self._reject(file_no, line, UNREADABLE, None, "structure: resourceType is missing")
            return
        transform = TRANSFORMS.get(kind)
        if transform is None:
            self.counts.read[kind] += 1
            self.counts.unsupported[kind] += 1
            return
        ident = resource.get("id")
        problem = structure_problem(resource)
        if problem is None and not isinstance(ident, str):
            problem = f"{kind}.id is missing (rwe needs it to keep OMOP ids stable)"
        if problem is not None:
            self._reject(
                file_no, line, kind, ident, f"structure: {problem}", explain(resource), count=True
            )
            return
        last_updated = None
        meta = resource.get("meta")
        if isinstance(meta, dict) and meta.get("lastUpdated") is not None:
            try:
                stamp = parse_when(meta["lastUpdated"], f"{kind}.meta.lastUpdated")
            except DateError as exc:
                self._reject(file_no, line, kind, ident, f"date: {exc}", count=True)
                return
            last_updated = stamp.datetime or stamp.date
        self.ctx.refs = refs
        try:
            result = transform(resource, self.ctx)
        except RejectError as exc:
            detail = explain(resource) if exc.kind == "structure" else None
            self._reject(file_no, line, kind, ident, f"{exc.kind}: {exc.message}", detail, True)
            return
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            # Input no rule foresaw must not stop a nightly run: reject it, say what broke.
            log.warning(
                "unexpected %s transforming %s at %s:%d", type(exc).__name__, kind, file_no, line
            )
            self._reject(
                file_no,
                line,
                kind,
                ident,
                f"structure: {kind} could not be read ({type(exc).__name__}: {exc})",
                explain(resource),
                True,
            )
            return
        self.counts.read[kind] += 1
        self.occ += 1
        occ = self.occ
        stager = self.stager
        direct = self.direct
        if direct is not None and from_ndjson:  # (Direct.resource stages excluded ones)
            lines = direct.resource(kind, ident, occ, digest, last_updated, result)
            if lines is not None:  # loaded directly (rwe.etl.direct)
                for table, text in lines:
                    stager.add_line(table, text)
                return
        stager.add(
            "stg_resource",
            (
                occ,
                kind,
                ident,
                last_updated,
                "excluded" if result.excluded else "loaded",
                result.excluded,
                result.person_ref,
                result.visit_ref,
                result.medication_ref,
                digest,
                None if result.excluded else len(result.rows),
                file_no,
                line,
            ),
        )
        if result.excluded:
            return
        if direct is not None:
            direct.staged(kind, ident, occ)
        for row in result.rows:
            stager.add_event(occ, row)
        if result.person is not None:
            stager.add("stg_person", (occ, *result.person))
        if result.medication is not None:
            stager.add("stg_medication", (occ, *result.medication))

    def _reject(
        self,
        file_no: int,
        line: int,
        kind: str,
        ident: Any,
        reason: str,
        detail: str | None = None,
        count: bool = True,
    ) -> None:
        self.counts.read[kind] += 1
        self.counts.rejected[kind][reason.split(":", 1)[0]] += 1
        self.stager.add(
            "stg_reject",
            (
                file_no,
                line,
                None if kind == UNREADABLE else kind,
                ident if isinstance(ident, str) else None,
                reason[:500],
                detail[:2000] if detail else None,
            ),
        )
