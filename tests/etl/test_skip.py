"""Skipping unchanged input (rwe/etl/skip.py): the skip set is read up front for an input that
may be large next to what is loaded, later or never for a small one (a nightly increment);
unchanged lines that were not skipped are still found unchanged by the merge, so the report
and the tables do not depend on when (or whether) the set was read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rwe.db.connection import Database
from rwe.etl import run as etl_run
from rwe.etl.pipeline import TYPE_NAMES
from rwe.etl.skip import DeferredSkipSet, SkipSet, content_hash, content_salt
from tests.etl.helpers import checksums, etl, rows, write_ndjson
from tests.etl.test_nightly import patient, wbc


def test_content_hash_is_a_bigint_that_changes_with_the_bytes_and_the_mapping() -> None:
    salt = content_salt("0.1|mappings|vocab")
    assert salt == content_salt("0.1|mappings|vocab")
    lines = [b'{"resourceType":"Patient","id":"p%d"}' % i for i in range(2000)]
    hashes = [content_hash(line, salt) for line in lines]
    assert hashes == [content_hash(line, salt) for line in lines]  # stable
    assert len(set(hashes)) == len(lines)
    assert all(-(1 << 63) <= h < 1 << 63 for h in hashes)  # fits BIGINT
    assert min(hashes) < 0 < max(hashes)  # the whole signed range is used
    other = content_salt("0.1|mappings|vocab 2")  # a new vocabulary: everything changes
    assert not set(hashes) & {content_hash(line, other) for line in lines}


def test_deferred_set_is_read_once_after_enough_lines() -> None:
    reads = []
    loaded = SkipSet(np.array([11, 22], np.int64), np.array([0, 1], np.int16))

    def read() -> SkipSet:
        reads.append(1)
        return loaded

    deferred = DeferredSkipSet(read, after=3)
    found, _ = deferred.lookup([11, 5])
    assert found.tolist() == [False, False] and not reads  # 2 lines: not read yet
    found, _ = deferred.lookup([22])
    assert found.tolist() == [False] and not reads  # 3 lines: still not
    found, types = deferred.lookup([22, 7, 11])
    assert found.tolist() == [True, False, True] and types[found].tolist() == [1, 0]
    deferred.lookup([11])
    assert len(reads) == 1  # read once


@pytest.fixture
def night1(tmp_path: Path) -> Path:
    folder = tmp_path / "night1"
    write_ndjson(folder / "Patient.ndjson", [patient(f"p{i}") for i in range(3)])
    write_ndjson(folder / "Observation.ndjson", [wbc(f"o{i}", f"p{i % 3}", i) for i in range(60)])
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records each read of the skip set (the real one)."""
    calls: list[int] = []
    real = etl_run._skip_set

    def spy(conn: Any, db: Database) -> SkipSet:
        skip = real(conn, db)
        calls.append(len(skip))
        return skip

    monkeypatch.setattr(etl_run, "_skip_set", spy)
    return calls


def test_a_full_rerun_reads_the_set_up_front(
    database: Database, night1: Path, reads: list[int]
) -> None:
    etl(database, night1)
    before = checksums(database)
    report = etl(database, night1)
    assert reads == [63]
    assert report["unchanged"] == report["read"] == 63
    assert checksums(database) == before


def test_a_small_input_is_merged_without_the_set(
    database: Database,
    night1: Path,
    tmp_path: Path,
    reads: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    etl(database, night1)
    monkeypatch.setattr(etl_run, "_SKIP_PAYS_OFF", 10)  # 63 loaded: worth it from 7 lines
    small = tmp_path / "small"
    write_ndjson(small / "Observation.ndjson", [wbc("o1", "p1", 1), wbc("o2", "p2", 99)])
    before = checksums(database)
    report = etl(database, small)
    assert reads == []
    obs = report["resources"]["Observation"]
    assert (obs["read"], obs["unchanged"], obs["loaded"]) == (2, 1, 2)  # loaded: now in
    merged = report["merge_rows"]
    assert (merged["update_measurement"], merged["insert_measurement"]) == (1, 0)  # o2 in place
    after = checksums(database)
    assert after["measurement"] != before["measurement"]
    assert {k: v for k, v in after.items() if k != "measurement"} == {
        k: v for k, v in before.items() if k != "measurement"
    }


def test_a_set_read_midway_gives_the_same_run(
    database: Database, night1: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    etl(database, night1)
    before = checksums(database)
    # the estimate says "small input"; the set is read once 63 // 2 lines were hashed: the
    # Patients file (3 lines) is merged without it, the Observations are skipped with it
    monkeypatch.setattr(etl_run, "_LINE_BYTES", 1 << 30)
    monkeypatch.setattr(etl_run, "_SKIP_PAYS_OFF", 2)
    report = etl(database, night1)
    assert reads == [63]
    assert report["unchanged"] == report["read"] == 63
    assert report["merge_rows"]["insert_measurement"] == 0
    assert checksums(database) == before


@pytest.mark.parametrize("keys_per_chunk", [1 << 20, 8])
def test_the_set_read_in_parts_is_every_loaded_hash_sorted_with_its_type(
    database: Database, night1: Path, monkeypatch: pytest.MonkeyPatch, keys_per_chunk: int
) -> None:
    """_skip_set reads the hashes in 16 parts of the hash range (per chunk of keys) and sorts
    part by part: the result is the whole set, in order, each hash with its own type."""
    etl(database, night1)
    monkeypatch.setattr(etl_run, "_SKIP_KEYS", keys_per_chunk)
    expected = rows(
        database,
        "SELECT content_hash, resource_type FROM rwe.fhir_resource"
        " WHERE state = 'loaded' ORDER BY content_hash",
    )
    assert len(expected) == 63 and len({h >> 60 for h, _ in expected}) > 8  # many parts
    with database.connect(autocommit=True) as conn:
        skip = etl_run._skip_set(conn, database)
    assert skip.hashes.tolist() == [h for h, _ in expected]
    assert [TYPE_NAMES[t] for t in skip.types.tolist()] == [kind for _, kind in expected]
