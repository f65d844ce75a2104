"""Operations at a glance: did the last run work (`rwe status`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rwe.db.connection import Database
from rwe.etl.runs import list_runs
from rwe.quality.results import latest_gate_status


@dataclass
class LastNight:
    ok: bool
    text: str


def last_night(db: Database) -> LastNight:
    """The newest run and the newest gate run, in words."""
    runs = list_runs(db, limit=1)
    if not runs:
        return LastNight(False, "No run yet: load data with `rwe etl` or `rwe nightly`.")
    run = runs[0]
    when = run["finished_at"] or run["started_at"]
    age = dt.datetime.now(dt.UTC) - when
    hours = age.total_seconds() / 3600
    lines = [
        f"Last run {run['run_id']} ({run['command']}): {run['status']} at "
        f"{when:%Y-%m-%d %H:%M %Z} ({hours:.1f} h ago)",
    ]
    if run["read"] is not None:
        lines.append(
            f"  read {run['read']:,}, loaded {run['loaded']:,}, rejected {run['rejected']:,}, "
            f"excluded {run['excluded']:,}"
        )
    if run["message"]:
        lines.append(f"  {run['message']}")
    gates = latest_gate_status(db)
    if gates is None:
        lines.append("Quality gates: never run.")
    else:
        lines.append(
            f"Quality gates: {gates.status} (gate run {gates.gate_run_id}, "
            f"{gates.fatal_failed} fatal and {gates.warn_failed} warn failures)"
        )
    ok = run["status"] == "succeeded" and (gates is None or gates.passed)
    lines.append(
        "OK"
        if ok
        else f"ATTENTION: the last run did not succeed; see `rwe runs show {run['run_id']}`."
    )
    return LastNight(ok, "\n".join(lines))
