"""Decode, check and transform NDJSON lines in worker processes: each worker has its own
vocabulary connection and returns COPY data plus its counts; the main process hashes, skips
unchanged lines, numbers occurrences and COPYs, in input order (so results do not depend on
the number of workers)."""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from rwe.db.connection import Database
from rwe.errors import RweError
from rwe.etl.extract.batch import Batch
from rwe.etl.load import RowBuffer, Stager
from rwe.etl.mappings import load_mappings
from rwe.etl.pipeline import Counts, Pipeline
from rwe.etl.skip import SkipSet
from rwe.etl.transform import Context
from rwe.etl.vocabulary import database_vocabulary

IN_FLIGHT = 4  # jobs queued per worker pool: bounds memory, keeps workers busy


@dataclass
class Job:
    file_no: int
    occ_base: int
    lines: list[tuple[int, bytes, int]]


@dataclass
class Output:
    chunk: list[tuple[str, bytes]]
    rows: dict[str, int]
    counts: Counts
    unmapped: Counter[tuple[str, str]]
    unmapped_units: Counter[str]
    imputed: Counter[str]
    notes: Counter[str]


_worker: dict[str, Any] = {}


def _init(
    url: str, cdm_schema: str, rwe_schema: str, salt: int, data_date: str | None = None
) -> None:
    db = Database(url=url, cdm_schema=cdm_schema, rwe_schema=rwe_schema)
    conn = db.connect(autocommit=True)
    mappings = load_mappings()
    ctx = Context(
        vocabulary=database_vocabulary(db, conn, mappings),
        mappings=mappings,
        data_date=data_date,
    )
    _worker.update(conn=conn, ctx=ctx, salt=salt)


def _work(job: Job) -> Output:
    ctx: Context = _worker["ctx"]
    buffer = RowBuffer(limit=1 << 62)
    pipeline = Pipeline(ctx, buffer, SkipSet.empty(), _worker["salt"])
    pipeline.occ = job.occ_base
    pipeline.decode_lines(job.lines, job.file_no)
    chunk = buffer.take()
    vocab = ctx.vocabulary
    out = Output(
        chunk,
        dict(buffer.rows),
        pipeline.counts,
        Counter(vocab.unmapped),
        Counter(vocab.unmapped_units),
        Counter(ctx.imputed_dates),
        Counter(ctx.notes),
    )
    for counter in (vocab.unmapped, vocab.unmapped_units, ctx.imputed_dates, ctx.notes):
        counter.clear()
    return out


class WorkerPool:
    """Spawned processes (never forked: a forked child would share the parent's database
    sockets) that transform NDJSON batches for `pipeline`. A worker that dies fails the run
    (BrokenProcessPool), it never hangs it."""

    def __init__(self, db: Database, pipeline: Pipeline, stager: Stager, workers: int) -> None:
        self.pipeline = pipeline
        self.stager = stager
        self.pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(db.url, db.cdm_schema, db.rwe_schema, pipeline.salt, pipeline.ctx.data_date),
        )
        self.pending: deque[Future[Output]] = deque()
        self.limit = workers * IN_FLIGHT

    def submit(self, batch: Batch, file_no: int) -> None:
        """Queue a batch of NDJSON lines (entries, deletions and errors stay in this process)."""
        todo = self.pipeline.changed_lines(batch)
        if todo:
            job = Job(file_no, self.pipeline.occ, todo)
            self.pipeline.occ += len(todo)
            self.pending.append(self.pool.submit(_work, job))
        rest = Batch(
            batch.source, entries=batch.entries, deletions=batch.deletions, errors=batch.errors
        )
        if rest.entries or rest.deletions or rest.errors:
            self.drain()
            self.pipeline.process(rest, file_no)
        while len(self.pending) >= self.limit:
            self._absorb(self._result(self.pending.popleft()))

    def drain(self) -> None:
        while self.pending:
            self._absorb(self._result(self.pending.popleft()))

    def close(self) -> None:
        for future in self.pending:
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _result(future: Future[Output]) -> Output:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise RweError(
                "a transform worker process died",
                "Run with --workers 1; from Python, call run_etl under "
                "`if __name__ == '__main__':` (worker processes are spawned).",
            ) from exc

    def _absorb(self, out: Output) -> None:
        self.stager.add_chunk(out.chunk, out.rows)
        counts = self.pipeline.counts
        counts.read.update(out.counts.read)
        counts.unchanged.update(out.counts.unchanged)
        counts.unsupported.update(out.counts.unsupported)
        for kind, reasons in out.counts.rejected.items():
            counts.rejected[kind].update(reasons)
        ctx = self.pipeline.ctx
        ctx.vocabulary.unmapped.update(out.unmapped)
        ctx.vocabulary.unmapped_units.update(out.unmapped_units)
        ctx.imputed_dates.update(out.imputed)
        ctx.notes.update(out.notes)
