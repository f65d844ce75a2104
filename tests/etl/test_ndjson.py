"""Reading NDJSON in blocks (rwe.etl.extract.ndjson) numbers and splits lines as iterating the
file does: blank lines kept, CR LF, lines longer than a block, no line feed at the end, gzip."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import pytest

from rwe.etl.extract import ndjson
from rwe.etl.extract.batch import BATCH_LINES


def _texts() -> list[bytes]:
    rng = random.Random(5)
    texts = [
        b"",
        b"\n",
        b"a",
        b"a\n",
        b"a\n\n",
        b"a\n\nb",
        b"\r\n\r\n x \r\n",
        b"x" * 5000 + b"\n" + b"y" * 3,  # a line over many blocks, the last without "\n"
        b"\n" * (BATCH_LINES * 2 + 1),
    ]
    for _ in range(10):
        lines = [bytes(rng.choice(b"ab \r") for _ in range(rng.randint(0, 30))) for _ in range(900)]
        texts.append(b"\n".join(lines) + rng.choice([b"", b"\n"]))
    return texts


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_lines_and_numbers_as_the_file_gives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, gz: bool
) -> None:
    monkeypatch.setattr(ndjson, "_BLOCK", block)
    monkeypatch.setattr(ndjson, "BATCH_LINES", 100)
    for k, text in enumerate(_texts()):
        path = tmp_path / (f"{k}.ndjson.gz" if gz else f"{k}.ndjson")
        path.write_bytes(gzip.compress(text) if gz else text)
        lines = io.BytesIO(text)  # as iterating a file gives them: split at "\n" only
        expected = [(n, line.removesuffix(b"\n")) for n, line in enumerate(lines, 1)]
        got: list[tuple[int, bytes]] = []
        batches = list(ndjson.read_ndjson(path))
        for batch in batches:
            assert batch.first_line == len(got) + 1
            got += [(batch.first_line + i, line) for i, line in enumerate(batch.lines)]
        assert got == expected, (block, gz, k)
        assert all(len(batch.lines) == 100 for batch in batches[:-1])  # only the last not full
        assert all(0 < len(batch.lines) <= 100 for batch in batches)
        done = [batch.done for batch in batches]  # progress: rising, the whole file at the end
        assert done == sorted(done) and all(
            batch.total == len(path.read_bytes()) for batch in batches
        )
        assert not batches or done[-1] == batches[-1].total
