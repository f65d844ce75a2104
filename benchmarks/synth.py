"""Benchmark `rwe synth`: resources written per second and peak RSS (not a test).

Run: .venv/bin/python benchmarks/synth.py --patients 20000 [--gzip] [--increment]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

from rwe.synth import SynthOptions, synthesize


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--preset", default="dtc-2021")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--increment", action="store_true", help="also write a 1-day increment")
    parser.add_argument("--workers", type=int, default=1, help="processes (same bytes)")
    parser.add_argument("--out", type=Path, help="output directory (default: a temporary one)")
    args = parser.parse_args()

    checkpoints: list[tuple[int, float]] = []

    def progress(done: int, total: int) -> None:
        # Peak RSS as the run goes: flat after the first patients = streaming works.
        if len(checkpoints) < 4 and done >= total * (len(checkpoints) + 1) / 4:
            checkpoints.append((done, _peak_rss_mib()))

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "export"
        options = SynthOptions(
            preset=args.preset,
            patients=args.patients,
            seed=args.seed,
            gzip=args.gzip,
            increment_dir=(Path(tmp) / "increment") if args.increment else None,
            workers=args.workers,
        )
        cpu0 = _cpu_seconds()
        result = synthesize(out, options, progress)
        cpu = _cpu_seconds() - cpu0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    total = result.total_resources
    print(f"preset {args.preset}, {args.patients:,} patients, gzip={args.gzip}, "
          f"workers={args.workers}")  # fmt: skip
    print(f"resources written: {total:,} in {result.seconds:.1f} s")
    print(f"resources/s: {total / result.seconds:,.0f} (wall clock)")
    # On a shared machine the wall clock includes other processes' time slices.
    if args.workers == 1:
        print(f"resources/s of CPU time: {total / cpu:,.0f} ({cpu:.1f} s user+system)")
    print(f"bytes written (first export): {size / 2**20:,.1f} MiB")
    for done, rss in checkpoints:
        print(f"peak RSS after {done:,} patients: {rss:,.1f} MiB")
    print(f"peak RSS: {_peak_rss_mib():,.1f} MiB", file=sys.stdout)
    if args.workers > 1:
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of a worker: {child:,.1f} MiB")


if __name__ == "__main__":
    main()
