"""Progress display: a rich bar on a terminal, a heartbeat log line otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

log = logging.getLogger("rwe")
HEARTBEAT_SECONDS = 60.0


@contextmanager
def byte_progress(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a callback `(name, done, total)` drawing one bar per name (bytes)."""
    if not sys.stderr.isatty():
        last = [time.monotonic()]

        def heartbeat(name: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= HEARTBEAT_SECONDS:
                last[0] = now
                log.info("%s: %s %d of %d bytes", label, name, done, total)

        yield heartbeat
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"{label}: {name}", total=total)
            bar.update(tasks[name], completed=done)

        yield update
