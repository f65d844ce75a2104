"""Stream `.ndjson` / `.ndjson.gz` files as batches of raw lines (decoded later, in bulk)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rwe.etl.extract.batch import BATCH_LINES, Batch


def read_ndjson(path: Path, name: str | None = None) -> Iterator[Batch]:
    """Batches of up to BATCH_LINES lines; line N of the file is `first_line + index`.
    Blank lines stay in the batch (so numbering holds) and are skipped when processed."""
    label = name or str(path)
    total = path.stat().st_size
    with path.open("rb") as raw:
        stream: IO[bytes] = raw
        if path.name.endswith(".gz"):
            stream = gzip.open(raw, "rb")  # type: ignore[assignment]  # noqa: SIM115
        pending: list[bytes] = []
        start = 1
        for number, line in enumerate(stream, start=1):
            if not pending:
                start = number
            pending.append(line)
            if len(pending) >= BATCH_LINES:
                yield Batch(label, start, pending, done=raw.tell(), total=total)
                pending = []
        if pending:
            yield Batch(label, start, pending, done=raw.tell(), total=total)
