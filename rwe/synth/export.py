"""`rwe synth` as a library call: simulate, render and write patient by patient."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import Any

import orjson

from rwe import __version__
from rwe.errors import BadInputError
from rwe.synth import fhir, writer
from rwe.synth.cohort import CohortConfig, CohortSimulator, Timeline
from rwe.synth.increment import IncrementConfig, delta
from rwe.synth.mess import Mess, MessConfig, PatientMess
from rwe.synth.presets import Preset, get_preset
from rwe.synth.render import DAY, Entry, Renderer
from rwe.synth.truth import BASELINE_WINDOW_DAYS, CUTOFFS, DEFINITIONS, PATIENT_COLUMNS, patient_row

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_PATIENTS = 100_000_000
PARTS_DIR = writer.PARTS_DIR
EXPORT_HOUR = 2  # the nightly export runs at 02:00 UTC the day after its data cutoff
_DUMPS = orjson.dumps
_NEWLINE = orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True)
class SynthOptions:
    """Everything that determines the bytes of an export."""

    preset: str = "dtc-2021"
    patients: int | None = None  # None: the preset's published cohort size
    seed: int = 0
    gzip: bool = False
    bundles: bool = False
    overwrite: bool = False
    mess: MessConfig = field(default_factory=MessConfig)
    cohort: CohortConfig = field(default_factory=CohortConfig)
    increment_dir: Path | None = None
    increment: IncrementConfig = field(default_factory=IncrementConfig)
    workers: int = 1  # processes; the bytes do not depend on it


@dataclass
class SynthResult:
    """What was written: counts per resource type and where."""

    out_dir: Path
    patients: int
    resources: dict[str, int]
    increment_dir: Path | None = None
    increment_resources: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    seconds: float = 0.0

    @property
    def total_resources(self) -> int:
        return sum(self.resources.values()) + sum(self.increment_resources.values())


def synthesize(
    out_dir: Path, options: SynthOptions, progress: Progress | None = None
) -> SynthResult:
    """Write a synthetic bulk export (and optionally its next-night increment) to `out_dir`."""
    preset = get_preset(options.preset)
    n = options.patients if options.patients is not None else preset.default_patients
    _validate(out_dir, options, n)
    started = time.perf_counter()
    run = _Run(out_dir, options, preset, n)
    if options.workers > 1:
        _in_workers(run, out_dir, progress)
    else:
        with _fewer_collections():
            for i in range(n):
                run.patient(i)
                if progress is not None and (i % 64 == 63 or i == n - 1):
                    progress(i + 1, n)
    result = run.finish()
    result.seconds = time.perf_counter() - started
    log.info(
        "wrote %d resources for %d patients in %.1f s", result.total_resources, n, result.seconds
    )
    return result


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Each patient allocates thousands of short-lived acyclic containers; the default
    cyclic-GC thresholds would rescan them many times over (about 20 % of the run time)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _in_workers(run: _Run, out_dir: Path, progress: Progress | None) -> None:
    """Patients in chunks over `workers` processes; parts are appended in patient order."""
    o, n = run.options, run.n
    parts = out_dir / PARTS_DIR
    size = max(50, min(2000, -(-n // (o.workers * 4))))
    chunks = [(out_dir, parts / f"{k:06d}", o, s, min(n, s + size), n)
              for k, s in enumerate(range(0, n, size))]  # fmt: skip
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent (rich)
    try:
        with context.Pool(o.workers) as pool:
            for chunk, (base, inc) in zip(chunks, pool.imap(_chunk, chunks), strict=True):
                run.base.append_part(base)
                if run.inc is not None and inc is not None:
                    run.inc.append_part(inc)
                shutil.rmtree(chunk[1])
                if progress is not None:
                    progress(chunk[4], n)
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def _chunk(args: tuple[Path, Path, SynthOptions, int, int, int]) -> tuple[_Part, _Part | None]:
    """A worker: patients [start, stop) into plain part files under `part`."""
    out_dir, part, options, start, stop, n = args
    run = _Run(out_dir, options, get_preset(options.preset), n, part=(part / "base", part / "inc"))
    with _fewer_collections():
        for i in range(start, stop):
            run.patient(i)
    return run.base.close_part(), run.inc.close_part() if run.inc is not None else None


def _validate(out_dir: Path, options: SynthOptions, n: int) -> None:
    if not 1 <= n <= MAX_PATIENTS:
        raise BadInputError(f"--patients is {n}", f"Give 1 to {MAX_PATIENTS:,} patients.")
    if not 1 <= options.workers <= 256:
        raise BadInputError(f"--workers is {options.workers}", "Give 1 to 256 processes.")
    if not 0 <= options.seed < 2**63:
        raise BadInputError(f"--seed is {options.seed}", "Give a seed from 0 to 2**63 - 1.")
    options.mess.validate()
    for name, value in asdict(options.cohort).items():
        if not 0.0 <= value <= 1.0:
            option = "--" + name.replace("_", "-")
            raise BadInputError(f"{option} is {value}", "Give a rate between 0 and 1.")
    if options.increment_dir is not None:
        options.increment.validate()
        if options.increment_dir.resolve() == out_dir.resolve():
            raise BadInputError(
                "--increment is the output directory", "Give the increment its own directory."
            )


def transaction_seconds(cutoff: int) -> int:
    return (cutoff + 1) * DAY + EXPORT_HOUR * 3600


class _Export:
    """One export directory: NDJSON files, bundles, truth table, realized summary."""

    def __init__(
        self, directory: Path, cutoff: int, *, gzip: bool, overwrite: bool, bundle_dir: Path | None
    ) -> None:
        writer.prepare_directory(directory, overwrite)
        self.directory = directory
        self.cutoff = cutoff
        self.ndjson = writer.NdjsonWriter(directory, gzip)
        self.deleted = writer.NdjsonWriter(directory / writer.DELETED_DIR, gzip)
        self.deleted_count = 0
        self.bundle_dir = bundle_dir
        if bundle_dir is not None:
            bundle_dir.mkdir(exist_ok=True)
        self.truth = writer.TruthTable(directory / writer.PATIENTS_CSV, PATIENT_COLUMNS)
        self.summary: Counter[str] = Counter()

    def close_part(self) -> _Part:
        """Close a worker's part (plain NDJSON) and say what it holds."""
        self.truth.close()
        return _Part(
            self.directory,
            {o["type"]: o["count"] for o in self.ndjson.close()},
            {o["type"]: o["count"] for o in self.deleted.close()},
            self.deleted_count,
            self.summary,
        )

    def append_part(self, part: _Part) -> None:
        """Append a worker's part: the files concatenate in patient order, so the export is
        byte-identical to a single-process one."""
        for name, counts, target in (
            ("", part.counts, self.ndjson),
            (writer.DELETED_DIR, part.deleted_counts, self.deleted),
        ):
            for resource_type in (*writer.TYPE_ORDER, "Bundle"):
                if resource_type not in counts:
                    continue
                path = part.directory / name / f"{resource_type}.ndjson"
                count = counts[resource_type]
                with open(path, "rb") as f:
                    while block := f.read(1 << 22):
                        target.write(resource_type, block, count)
                        count = 0
        with open(part.directory / writer.PATIENTS_CSV, encoding="utf-8") as f:
            f.readline()  # the header
            self.truth.write_raw(f.read())
        self.deleted_count += part.deleted_count
        self.summary.update(part.summary)

    def write(self, entries: list[Entry]) -> None:
        lines: dict[str, list[bytes]] = {}
        for e in entries:
            lines.setdefault(e.resource["resourceType"], []).append(
                _DUMPS(e.resource, option=_NEWLINE)
            )
        for resource_type, group in lines.items():
            self.ndjson.write(resource_type, b"".join(group), len(group))

    def row(self, row: dict[str, Any]) -> None:
        self.truth.write(row)
        s = self.summary
        s["patients"] += 1
        s["included"] += row["included"]
        s["deaths"] += row["os_event"]
        s["ttf_events"] += row["ttf_event"]
        s["pfs_events"] += row["pfs_event"]
        s["stop_reason:" + (row["stop_reason"] or "ongoing")] += 1
        s["best_response:" + (row["best_response"] or "none")] += 1
        s["arm:" + row["arm"]] += 1
        s["no_baseline_lmr"] += row["lmr"] == ""


@dataclass
class _Part:
    """What a worker wrote for a range of patients (plain NDJSON in `directory`)."""

    directory: Path
    counts: dict[str, int]
    deleted_counts: dict[str, int]
    deleted_count: int
    summary: Counter[str]


class _Run:
    def __init__(
        self,
        out_dir: Path,
        options: SynthOptions,
        preset: Preset,
        n: int,
        *,
        part: tuple[Path, Path] | None = None,
    ) -> None:
        """The export in `out_dir`, or, with `part` (base and increment directories), a
        worker's share of it (plain NDJSON; bundles go straight to `out_dir`)."""
        self.options = options
        self.preset = preset
        self.n = n
        tag = blake2b(f"{preset.name}:{options.seed}".encode(), digest_size=3).hexdigest()
        self.sim = CohortSimulator(preset, options.seed, options.cohort)
        self.mess = Mess(options.mess, options.seed)
        self.renderer = Renderer(self.mess, tag)
        cutoff = preset.data_cutoff.toordinal()
        gzip = options.gzip and part is None
        self.base = _Export(
            out_dir if part is None else part[0], cutoff, gzip=gzip,
            overwrite=options.overwrite and part is None,
            bundle_dir=out_dir / writer.BUNDLES_DIR if options.bundles else None,
        )  # fmt: skip
        self.inc: _Export | None = None
        if options.increment_dir is not None:
            self.inc = _Export(
                options.increment_dir if part is None else part[1],
                cutoff + options.increment.days, gzip=gzip,
                overwrite=options.overwrite and part is None, bundle_dir=None,
            )  # fmt: skip

    def patient(self, i: int) -> None:
        tl = self.sim.simulate(i)
        pm = self.renderer.patient_mess(tl)
        entries = self.renderer.render(tl, self.base.cutoff, pm)
        self.base.write(entries)
        self.base.row(patient_row(self.renderer, tl, self.base.cutoff, pm))
        if self.base.bundle_dir is not None:
            self._bundle(tl, entries)
        if self.inc is not None:
            self._increment(tl, entries, pm)

    def _bundle(self, tl: Timeline, entries: list[Entry]) -> None:
        assert self.base.bundle_dir is not None
        pid = self.renderer.patient_id(tl.number)
        resources = [e.resource for e in entries if e.final]
        bundle = fhir.transaction_bundle(f"{pid}-bundle", writer.BASE_URL, resources)
        writer.write_bundle(self.base.bundle_dir, pid, bundle)

    def _increment(self, tl: Timeline, entries: list[Entry], pm: PatientMess) -> None:
        inc = self.inc
        assert inc is not None
        since, until = transaction_seconds(self.base.cutoff), transaction_seconds(inc.cutoff)
        new = self.renderer.render(tl, inc.cutoff, pm)
        changed, deleted = delta(
            entries, new, self.options.increment, since, until, self.options.seed
        )
        inc.write(changed)
        if deleted:
            pid = self.renderer.patient_id(tl.number)
            bundle = fhir.deletion_bundle(f"{pid}-deleted-{inc.cutoff}", until - 60, deleted)
            inc.deleted.write("Bundle", _DUMPS(bundle, option=_NEWLINE), 1)
            inc.deleted_count += len(deleted)
        inc.row(patient_row(self.renderer, tl, inc.cutoff, pm))

    def finish(self) -> SynthResult:
        base_counts = self._close(self.base, None)
        result = SynthResult(self.base.directory, self.n, base_counts)
        if self.inc is not None:
            result.increment_dir = self.inc.directory
            result.increment_resources = self._close(
                self.inc, transaction_seconds(self.base.cutoff)
            )
            result.deleted = self.inc.deleted_count
        return result

    def _close(self, export: _Export, since: int | None) -> dict[str, int]:
        export.truth.close()
        output = export.ndjson.close()
        deleted = export.deleted.close(url_prefix=writer.DELETED_DIR + "/")
        transaction_time = fhir.instant(transaction_seconds(export.cutoff))
        types = ",".join(writer.TYPE_ORDER)
        request = f"{writer.BASE_URL}/Patient/$export?_type={types}"
        if since is not None:
            request += f"&_since={fhir.instant(since)}"
        writer.write_manifest(export.directory, transaction_time, request, output, deleted)
        counts = {o["type"]: o["count"] for o in output}
        doc = self._truth(export, transaction_time, since, counts)
        writer.write_json(export.directory / writer.TRUTH_JSON, doc)
        return counts

    def _truth(
        self, export: _Export, transaction_time: str, since: int | None, counts: dict[str, int]
    ) -> dict[str, Any]:
        o = self.options
        models = {}
        for name, model in self.sim.models.items():
            models[name] = {**asdict(model), "expected_medians_days": model.expected_medians()}
        return {
            "generator": {
                "tool": "rwe synth",
                "rwe_version": __version__,
                "preset": self.preset.name,
                "seed": o.seed,
                "patients": self.n,
                "id_prefix": self.renderer.tag,
            },
            "export": {
                "kind": "full" if since is None else "increment",
                "transaction_time": transaction_time,
                "since": fhir.instant(since) if since is not None else None,
                "data_cutoff": fhir.iso_date(export.cutoff),
                "reference_now": transaction_time,
            },
            "definitions": DEFINITIONS,
            "cutoffs": {
                **CUTOFFS,
                "anti_tg_iu_ml": fhir.ANTI_TG_CUTOFF_IU_ML,
                "baseline_window_days": BASELINE_WINDOW_DAYS,
                "persistence_window_days": 30,
            },
            "outcome_models": models,
            "preset": self.preset.to_json(),
            "targets": self.preset.targets,
            "cohort_options": asdict(o.cohort),
            "mess": asdict(o.mess),
            "increment": asdict(o.increment) if since is not None else None,
            "counts": {
                "resources": counts,
                "deleted": export.deleted_count,
                "realized": dict(sorted(export.summary.items())),
            },
            "files": {"manifest": writer.MANIFEST, "patients": writer.PATIENTS_CSV},
        }
