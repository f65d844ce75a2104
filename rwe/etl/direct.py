"""The first-load direct path: on a first load (the id map is empty), common lab Observations
(the msgspec fast path, rwe.etl.fast) whose Patient, and Encounter if any, were read earlier
in the run are COPYed straight into MEASUREMENT / OBSERVATION and the id map while the input
is read, instead of through staging and the set-based merge; so are the NDJSON lines of
Encounters, Conditions and MedicationStatements (the generic path's rows: VISIT_OCCURRENCE,
CONDITION_OCCURRENCE, DRUG_EXPOSURE, OBSERVATION) under the same condition, unless excluded,
given by medicationReference, routed by their concept's domain to another table or dated
with over 6 fractional digits. Everything else (Patients, Bundle entries among it) is staged
and merged as usual, in the same transaction.

The result must be exactly what the staged path writes (same rows, same OMOP ids): keys follow
the rule of rwe/sql/etl/candidate.sql (the largest key before the run plus the occurrence
number), the rows the columns of new_measurement (update_measurement.sql) and of the
insert_*.sql step of each table (`_EVENT`, below). The direct path only assumes what the
merge decides later, and the run checks it (`conflicts`):

- each Patient / Encounter occurrence a direct row points to is loaded by the merge (not
  superseded by a later occurrence or deletion, not rejected for a dangling reference);
- no staged occurrence is another version of (or a deletion of) a direct resource;
- no two direct resources share a type and id (the id map's unique key fails the COPY).

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
from rwe.etl import rows as R
from rwe.etl.dates import DateError, When, parse_when
from rwe.etl.fast import Hit, remember
from rwe.etl.load import DELIMITER, encode_row
from rwe.etl.preread import id_hash
from rwe.etl.transform.common import SOURCE_VALUE_MAX, Result

TARGETS = ("Patient", "Encounter")  # what a direct row may point to
# Types whose generic-path rows may be COPYed directly (Encounters also as a target).
GENERIC = frozenset({"Encounter", "Condition", "MedicationStatement"})
_DATES_MAX = 50_000
_FRACTION = re.compile(r"\.\d+")
_UTC = dt.UTC
_UNSEEN = ("", "")  # not in the UTC cache yet (None there: stage it)


class Direct:
    """One run attempt's direct path: what it read earlier, what its rows depend on."""

    def __init__(
        self,
        run_id: int,
        last_key: int,
        repeated: Callable[[], frozenset[int]],
        generic: Callable[[], frozenset[int]] | None = None,
    ) -> None:
        self.run_id = run_id
        self.last_key = last_key
        self._repeated = repeated  # called when the first Observation comes
        self.repeated: frozenset[int] | None = None  # id_hash of ids read more than once
        # id_hash(b"Type/id") of GENERIC resources read more than once (rwe.etl.preread),
        # called at the first one; without it they are all staged
        self._generic = generic
        self.generic: frozenset[int] | None = None
        # id → occurrence of the Patients and Encounters read so far: staged ones (> 0), whose
        # outcome the run checks if a direct row uses them, and direct ones (negated: loaded)
        self.targets: dict[str, dict[str, int]] = {kind: {} for kind in TARGETS}
        self._patients = self.targets["Patient"]
        self._encounters = self.targets["Encounter"]
        self.depends: set[int] = set()  # staged Patients/Encounters direct rows use
        self._loaded: Counter[str] = Counter()  # generic resources by type
        self._rows: Counter[str] = Counter()  # their rows by table
        self._labs = {"measurement": 0, "observation": 0}  # labs (one row each) by table
        self._utc: dict[str, tuple[str, str] | None] = {}

    @property
    def loaded_by_type(self) -> Counter[str]:
        """Resources loaded directly, by type."""
        found = self._loaded.copy()
        labs = sum(self._labs.values())
        if labs:
            found["Observation"] += labs
        return found

    @property
    def rows(self) -> Counter[str]:
        """Rows written directly, by OMOP table."""
        found = self._rows.copy()
        found.update({table: n for table, n in self._labs.items() if n})
        return found

    @property
    def loaded(self) -> int:
        """Resources loaded directly."""
        return sum(self.loaded_by_type.values())

    def staged(self, kind: str, fhir_id: Any, occ: int) -> None:
        """A Patient or Encounter occurrence staged as loaded (its key: last_key + occ)."""
        known = self.targets.get(kind)
        if known is not None and isinstance(fhir_id, str):
            known[fhir_id] = occ

    def resource(
        self,
        kind: str,
        fhir_id: Any,
        occ: int,
        digest: int,
        last_updated: str | None,
        result: Result,
    ) -> list[tuple[str, str]] | None:
        """The id-map and CDM rows (COPY text) of a generic-path resource (an NDJSON line)
        loaded directly, or None when it must be staged: not a GENERIC type, excluded, a
        medicationReference, read more than once (the pre-read), its Patient (or Encounter)
        not read yet, a row for a table without a direct shape here (a concept's domain may
        route a Condition to MEASUREMENT or PROCEDURE_OCCURRENCE), a datetime to leave to
        PostgreSQL (over 6 fractional digits)."""
        if kind not in GENERIC or result.excluded is not None or result.medication_ref:
            return None
        repeated = self.generic
        if repeated is None:
            if self._generic is None:
                return None
            repeated = self.generic = self._generic()
        if repeated and id_hash(f"{kind}/{fhir_id}".encode()) in repeated:
            return None
        patient = self._patients.get(result.person_ref)  # type: ignore[arg-type]
        if patient is None or not result.rows:
            return None
        encounter = None
        if result.visit_ref is not None:
            encounter = self._encounters.get(result.visit_ref)
            if encounter is None:
                return None
        key = self.last_key + occ
        person_id = (self.last_key + patient) * 1000
        visit_id = None if encounter is None else (self.last_key + abs(encounter)) * 1000
        if kind == "Encounter":  # its rows' visit is itself (winner.sql)
            visit_id = key * 1000
        events = []
        for row in result.rows:
            known = _EVENT.get(row[R.TARGET])
            if known is None:
                return None
            start = self._utc_of(row[R.START_DATETIME])
            end = self._utc_of(row[R.END_DATETIME])
            if start is None or end is None:
                return None
            table, build = known
            events.append(
                (table, encode_row(build(key * 1000, row, person_id, visit_id, start, end)))
            )
        state = encode_row(
            (
                key,
                kind,
                fhir_id,
                "loaded",
                last_updated,
                digest,
                person_id,
                self.run_id,
                len(result.rows),
            )
        )
        if encounter is not None and encounter > 0:
            self.depends.add(encounter)
        self.depends.add(patient)
        if kind == "Encounter":
            self._encounters[fhir_id] = -occ  # loaded directly: nothing to check
        self._loaded[kind] += 1
        for row in result.rows:
            self._rows[row[R.TARGET]] += 1
        return [("direct_fhir_resource", state), *events]

    def _utc_of(self, text: Any) -> tuple[str, str] | None:
        """(UTC date, UTC timestamp) of a staged datetime as the insert_*.sql steps write it;
        ("", "") for none; None to leave it to PostgreSQL."""
        if text is None:
            return _UNSEEN
        utc = self._utc.get(text, _UNSEEN)
        if utc is not _UNSEEN:
            return utc
        try:
            return self._utc_text(parse_when(text, "datetime"))
        except DateError:
            return None

    def row(
        self,
        occ: int,
        digest: int,
        hit: Hit,
    ) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """The id-map and CDM rows (COPY text) of a fast-path Observation, or None when it
        must be staged (its Patient or Encounter not read yet, a datetime to leave to
        PostgreSQL)."""
        ident, last_updated, person, visit, head, start, number, tail, bounds = hit
        repeated = self.repeated
        if repeated is None:
            repeated = self.repeated = self._repeated()
        patient = self._patients.get(person)
        if patient is None or (repeated and id_hash(ident.encode()) in repeated):
            return None
        encounter = None
        if visit:
            encounter = self._encounters.get(visit)
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
        last_key = self.last_key
        # OMOP ids are keys × 1000 (+ the row): written as the key's digits and "000"
        key = f"{last_key + occ}"
        person_key = f"{last_key + patient}"
        self.depends.add(patient)
        if encounter is None:
            visit_id = ""
        elif encounter > 0:
            visit_id = f"{last_key + encounter}000"
            self.depends.add(encounter)
        else:  # loaded directly
            visit_id = f"{last_key - encounter}000"
        table = head[3]
        self._labs[table] += 1
        state = (
            f"{key}{d}Observation{d}{ident}{d}loaded{d}{last_updated}{d}{digest}{d}"
            f"{person_key}000{d}{self.run_id}{d}1"
        )
        concept, source = head[4]
        event = (
            f"{key}000{d}{person_key}000{concept}{date}{d}{when}{d}{head[2]}{d}{number}{d}"
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
        if len(text) == 20 and text[19] == "Z" and start.instant is not None:
            # "YYYY-MM-DDThh:mm:ssZ" (parse_when checked the form, the only one of 20
            # characters with a Z), already UTC: the text itself, without the conversions
            # below. In a real export each draw has a time of its own, so a panel's first lab
            # comes here (200,000 distinct times of an `rwe synth` cohort, 85% in Z: 1.2
            # against 3.5 µs a time).
            found = (text[:10], f"{text[:10]} {text[11:19]}")
            return remember(self._utc, text, found, _DATES_MAX)
        fraction = _FRACTION.search(text) if "." in text else None
        digits = len(fraction.group()) if fraction else 0  # "." and the fractional digits
        if start.instant is not None and digits <= 7:
            try:
                utc = start.instant.astimezone(_UTC).replace(tzinfo=None)
                found = (utc.date().isoformat(), utc.isoformat(sep=" "))
            except (OverflowError, ValueError):
                found = None
        return remember(self._utc, text, found, _DATES_MAX)

    def conflicts(self, conn: psycopg.Connection, params: dict[str, str]) -> str | None:
        """After the staged rows are resolved: why the direct rows are not what the merge
        would write, or None."""
        conn.execute("CREATE TEMP TABLE direct_depends (occ BIGINT PRIMARY KEY) ON COMMIT DROP")
        with conn.cursor() as cur, cur.copy("COPY direct_depends (occ) FROM STDIN") as copy:
            for occ in self.depends:
                copy.write_row((occ,))
        conn.execute("ANALYZE direct_depends")
        types = ", ".join(f"'{kind}'" for kind in sorted({"Observation", *GENERIC}))
        check = read_sql("etl/direct_check.sql", {**params, "direct_types": types})
        row = conn.execute(check.encode()).fetchone()
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
        """The direct resources as merge outcomes (rwe.etl.report.tally)."""
        return [(kind, "loaded", "apply", "", n) for kind, n in self.loaded_by_type.items()]


# The direct row of each table, in the columns and with the values of its insert_*.sql step
# (_COLUMNS["direct_<table>"] in rwe.etl.load): (row id, event row, person id, visit id or
# None, UTC (date, timestamp) of the start and of the end, ("", "") when none) → values.
# A *_date is the UTC date of the datetime, else the date (coalesce in SQL).
_Values = tuple[Any, ...]


def _span(rid: int, e: list[Any], person: int, concept: Any, s: Any, n: Any) -> _Values:
    """id, person, concept, start date and datetime, end date and datetime."""
    return (
        rid + e[R.ROW_INDEX],
        person,
        concept,
        s[0] or e[R.START_DATE],
        s[1] or None,
        n[0] or e[R.END_DATE],
        n[1] or None,
    )


def _visit(rid: int, e: list[Any], person: int, visit: Any, s: Any, n: Any) -> _Values:
    return (
        *_span(rid, e, person, e[R.CONCEPT_ID], s, n),
        e[R.TYPE_CONCEPT_ID],
        e[R.SOURCE_VALUE],
        e[R.SOURCE_CONCEPT_ID],
    )


def _condition(rid: int, e: list[Any], person: int, visit: Any, s: Any, n: Any) -> _Values:
    return (
        *_span(rid, e, person, e[R.CONCEPT_ID], s, n),
        e[R.TYPE_CONCEPT_ID],
        e[R.STOP_REASON],
        visit,
        e[R.SOURCE_VALUE],
        e[R.SOURCE_CONCEPT_ID],
    )


def _drug(rid: int, e: list[Any], person: int, visit: Any, s: Any, n: Any) -> _Values:
    concept = e[R.CONCEPT_ID]
    source_concept = e[R.SOURCE_CONCEPT_ID]
    return (
        *_span(rid, e, person, 0 if concept is None else concept, s, n),
        e[R.VERBATIM_END_DATE],
        e[R.TYPE_CONCEPT_ID],
        e[R.STOP_REASON],
        e[R.REFILLS],
        e[R.QUANTITY],
        e[R.DAYS_SUPPLY],
        e[R.SIG],
        e[R.ROUTE_CONCEPT_ID],
        visit,
        e[R.SOURCE_VALUE],
        0 if source_concept is None else source_concept,
        e[R.ROUTE_SOURCE_VALUE],
        e[R.DOSE_UNIT_SOURCE_VALUE],
    )


def _observation(rid: int, e: list[Any], person: int, visit: Any, s: Any, n: Any) -> _Values:
    event_row = e[R.EVENT_ROW]
    return (
        rid + e[R.ROW_INDEX],
        person,
        e[R.CONCEPT_ID],
        s[0] or e[R.START_DATE],
        s[1] or None,
        e[R.TYPE_CONCEPT_ID],
        e[R.VALUE_AS_NUMBER],
        e[R.VALUE_AS_STRING],
        e[R.VALUE_AS_CONCEPT_ID],
        e[R.UNIT_CONCEPT_ID],
        visit,
        e[R.SOURCE_VALUE],
        e[R.SOURCE_CONCEPT_ID],
        e[R.UNIT_SOURCE_VALUE],
        e[R.VALUE_SOURCE_VALUE],
        None if event_row is None else rid + event_row,
        e[R.EVENT_FIELD_CONCEPT_ID],
    )


# target → (the Stager's table, the row's values)
_EVENT: dict[str, tuple[str, Callable[..., _Values]]] = {
    "visit_occurrence": ("direct_visit_occurrence", _visit),
    "condition_occurrence": ("direct_condition_occurrence", _condition),
    "drug_exposure": ("direct_drug_exposure", _drug),
    "observation": ("direct_observation_event", _observation),
}
