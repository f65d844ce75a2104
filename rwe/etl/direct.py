"""The first-load direct path: on a first load (the id map is empty), common lab Observations
(the msgspec fast path, rwe.etl.fast) whose Patient, and Encounter if any, were read earlier
in the run are COPYed straight into MEASUREMENT / OBSERVATION and the id map while the input
is read, instead of through staging and the set-based merge. Everything else is staged and
merged as usual, in the same transaction.

The result must be exactly what the staged path writes (same rows, same OMOP ids): keys follow
the rule of rwe/sql/etl/candidate.sql (the largest key before the run plus the occurrence
number), the rows the columns of new_measurement (update_measurement.sql) /
insert_observation.sql. The direct path only assumes what the merge decides later, and the
run checks it (`conflicts`):

- each Patient / Encounter occurrence a direct row points to is loaded by the merge (not
  superseded by a later occurrence or deletion, not rejected for a dangling reference);
- no staged occurrence is another version of (or a deletion of) a direct Observation;
- no two direct Observations share an id (the id map's unique key fails the COPY).

When one does not hold, the run rolls back to before its first row and loads everything
through staging (`rwe/etl/run.py`); the run report says so. `tests/etl/test_direct.py` checks
that both paths leave identical databases.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg

from rwe.db.sqlfiles import read_sql
from rwe.etl.dates import When
from rwe.etl.fast import Hit
from rwe.etl.load import DELIMITER
from rwe.etl.preread import id_hash
from rwe.etl.transform.common import SOURCE_VALUE_MAX

TARGETS = ("Patient", "Encounter")  # what a direct Observation may point to
_DATES_MAX = 50_000
_FRACTION = re.compile(r"\.\d+")
_UTC = dt.UTC
_UNSEEN = ("", "")  # not in the UTC cache yet (None there: stage it)


class Direct:
    """One run attempt's direct path: what it read earlier, what its rows depend on."""

    def __init__(self, run_id: int, last_key: int, repeated: Callable[[], frozenset[int]]) -> None:
        self.run_id = run_id
        self.last_key = last_key
        self._repeated = repeated  # called when the first Observation comes
        self.repeated: frozenset[int] | None = None  # id_hash of ids read more than once
        self.targets: dict[str, dict[str, int]] = {kind: {} for kind in TARGETS}
        self.depends: set[int] = set()  # occurrences of Patients/Encounters direct rows use
        self.loaded = 0
        self.rows: Counter[str] = Counter()
        self._utc: dict[str, tuple[str, str] | None] = {}

    def staged(self, kind: str, fhir_id: Any, occ: int) -> None:
        """A Patient or Encounter occurrence staged as loaded (its key: last_key + occ)."""
        known = self.targets.get(kind)
        if known is not None and isinstance(fhir_id, str):
            known[fhir_id] = occ

    def row(
        self,
        occ: int,
        digest: int,
        hit: Hit,
    ) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """The id-map and CDM rows (COPY text) of a fast-path Observation, or None when it
        must be staged (its Patient or Encounter not read yet, a datetime to leave to
        PostgreSQL)."""
        ident, last_updated, person, visit, head, start, value, tail, bounds = hit
        repeated = self.repeated
        if repeated is None:
            repeated = self.repeated = self._repeated()
        patient = self.targets["Patient"].get(person)
        if patient is None or (repeated and id_hash(ident.encode()) in repeated):
            return None
        encounter = None
        if visit:
            encounter = self.targets["Encounter"].get(visit)
            if encounter is None:
                return None
        stamp = start.datetime
        if stamp is not None:
            utc = self._utc.get(stamp, _UNSEEN)
            if utc is _UNSEEN:
                utc = self._utc_text(start)
            if utc is None:
                return None
            date, when = utc
        else:
            date, when = str(start.date), ""
        d = DELIMITER
        key = self.last_key + occ
        person_id = (self.last_key + patient) * 1000
        self.depends.add(patient)
        if encounter is None:
            visit_id: Any = ""
        else:
            visit_id = (self.last_key + encounter) * 1000
            self.depends.add(encounter)
        table = head[3]
        self.loaded += 1
        self.rows[table] += 1
        number = f"{value}"  # formatting a float costs ~0.6 µs: once
        state = (
            f"{key}{d}Observation{d}{ident}{d}loaded{d}{last_updated}{d}{digest}{d}"
            f"{person_id}{d}{self.run_id}{d}1"
        )
        concept, source = head[4]
        event = (
            f"{key * 1000}{d}{person_id}{concept}{date}{d}{when}{d}{head[2]}{d}{number}{d}"
            f"{tail[2]}{d}{visit_id}{source}{tail[3]}{d}{number[:SOURCE_VALUE_MAX]}"
        )
        if table == "measurement":  # OBSERVATION has no range columns
            event = f"{event}{d}{bounds}"
        return ("direct_fhir_resource", state), (f"direct_{table}", event)

    def _utc_text(self, start: When) -> tuple[str, str] | None:
        """(UTC date, UTC timestamp) text as `AT TIME ZONE 'UTC'` gives them; None for what
        Python and PostgreSQL might round differently (over 6 fractional digits). Remembered
        (row() looks it up first)."""
        text = str(start.datetime)
        found: tuple[str, str] | None = None
        fraction = _FRACTION.search(text)
        digits = len(fraction.group()) if fraction else 0  # "." and the fractional digits
        if start.instant is not None and digits <= 7:
            try:
                utc = start.instant.astimezone(_UTC).replace(tzinfo=None)
                found = (utc.date().isoformat(), utc.isoformat(sep=" "))
            except (OverflowError, ValueError):
                found = None
        if len(self._utc) >= _DATES_MAX:
            self._utc.clear()
        self._utc[text] = found
        return found

    def conflicts(self, conn: psycopg.Connection, params: dict[str, str]) -> str | None:
        """After the staged rows are resolved: why the direct rows are not what the merge
        would write, or None."""
        conn.execute("CREATE TEMP TABLE direct_depends (occ BIGINT PRIMARY KEY) ON COMMIT DROP")
        with conn.cursor() as cur, cur.copy("COPY direct_depends (occ) FROM STDIN") as copy:
            for occ in self.depends:
                copy.write_row((occ,))
        conn.execute("ANALYZE direct_depends")
        row = conn.execute(read_sql("etl/direct_check.sql", params).encode()).fetchone()
        duplicates, lost = row if row is not None else (0, 0)
        if duplicates:
            return f"{duplicates:,} resources read more than once or deleted in the same input"
        if lost:
            return f"{lost:,} Patients or Encounters are superseded, deleted or rejected"
        return None

    def undo(self, conn: psycopg.Connection, params: dict[str, str]) -> None:
        """Remove the direct rows (the run loads nothing after all)."""
        conn.execute(read_sql("etl/direct_undo.sql", params).encode())

    def outcomes(self) -> list[tuple[str, str, str, str, int]]:
        """The direct Observations as merge outcomes (rwe.etl.report.tally)."""
        return [("Observation", "loaded", "apply", "", self.loaded)] if self.loaded else []
