"""Test-only step hook: number every database step of an `rwe etl` process and act at one.

A step is a statement, a COPY, a commit, and the moment just after a commit.
`install(at, action, trace, pause)`: before step `at`, `kill` sends the process SIGKILL,
`pause` creates the file `pause` and waits until it is removed; `trace` (a file) gets
`number<TAB>label` per step. The product never imports this module.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import psycopg


def install(
    at: int = 0,
    action: str = "kill",
    trace: str | None = None,
    pause: str | None = None,
    at_label: str | None = None,
) -> None:
    """Patch psycopg in this process (see the module docstring); `at_label`: act at the first
    step whose label starts with it instead of at a number."""
    lock = threading.Lock()
    count = [0]
    target = [at]  # with at_label: set to the first matching step
    pause_file = Path(pause) if pause else None

    def step(label: str) -> None:
        with lock:
            count[0] += 1
            n = count[0]
            if trace:
                with open(trace, "a", encoding="utf-8") as f:
                    f.write(f"{n}\t{label}\n")
            if at_label is not None and target[0] <= 0 and label.startswith(at_label):
                target[0] = n
            hit = n == target[0]
        if not hit:
            return
        if action == "pause" and pause_file is not None:
            pause_file.touch()
            while pause_file.exists():
                time.sleep(0.05)
            return
        os.kill(os.getpid(), signal.SIGKILL)

    def label(query: Any) -> str:
        if isinstance(query, bytes):
            query = query.decode(errors="replace")
        return " ".join(str(query).split())[:70]

    execute = psycopg.Cursor.execute
    server_execute = psycopg.ServerCursor.execute
    copy = psycopg.Cursor.copy
    commit = psycopg.Connection.commit

    def patched_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        step(label(query))
        return execute(self, query, *args, **kwargs)

    def patched_server_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        step(label(query))
        return server_execute(self, query, *args, **kwargs)

    def patched_copy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        step(label(statement))
        return copy(self, statement, *args, **kwargs)

    def patched_commit(self: Any) -> None:
        step("COMMIT")
        commit(self)
        step("(committed)")

    psycopg.Cursor.execute = patched_execute  # type: ignore[method-assign]
    psycopg.ServerCursor.execute = patched_server_execute  # type: ignore[method-assign]
    psycopg.Cursor.copy = patched_copy  # type: ignore[method-assign]
    psycopg.Connection.commit = patched_commit  # type: ignore[method-assign]


def install_from_environment() -> None:
    """RWE_TEST_STEP_AT / _ACTION / _TRACE / _PAUSE, as `python -m rwe` sees them."""
    at = os.environ.get("RWE_TEST_STEP_AT")
    at_label = os.environ.get("RWE_TEST_STEP_AT_LABEL")
    trace = os.environ.get("RWE_TEST_STEP_TRACE")
    if at or at_label or trace:
        install(
            int(at or 0),
            os.environ.get("RWE_TEST_STEP_ACTION", "kill"),
            trace,
            os.environ.get("RWE_TEST_STEP_PAUSE"),
            at_label,
        )
