"""Code lookup for one run: FHIR system+code → standard concept via "Maps to", source concept,
domain; rwe's source_to_concept_map; UCUM units. Loaded lazily from the database, then dict-fast.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import NamedTuple

import psycopg
from psycopg import sql

from rwe.db.connection import Database
from rwe.errors import VocabularyError
from rwe.etl.mappings import Mappings

log = logging.getLogger(__name__)

UCUM_SYSTEM = "http://unitsofmeasure.org"


class Concept(NamedTuple):
    """A resolved code: standard concept (0 when unmapped), source concept, domain."""

    concept_id: int
    source_concept_id: int
    domain_id: str | None


UNMAPPED = Concept(0, 0, None)
# (vocabulary_id, code) -> Concept; None for codes the vocabulary does not know.
Fetch = Callable[[str, str], Concept | None]


class Vocabulary:
    """Resolves codes once per distinct code; counts unmapped codes for the run report."""

    def __init__(self, mappings: Mappings, fetch: Fetch, units: dict[str, int]) -> None:
        self._mappings = mappings
        self._fetch = fetch
        self._cache: dict[tuple[str, str], Concept] = {}
        self.units = units
        self.unmapped: Counter[tuple[str, str]] = Counter()
        self.unmapped_units: Counter[str] = Counter()

    def vocabulary_id(self, system: str | None) -> str | None:
        return self._mappings.code_system.get(system) if system else None

    def concept(self, system: str | None, code: str) -> Concept:
        """The concept of `code` in `system`; unmapped codes are counted (§f2o-032)."""
        key = (system or "", code)
        found = self._cache.get(key)
        if found is None:
            vocabulary_id = self.vocabulary_id(system)
            looked = self._fetch(vocabulary_id, code) if vocabulary_id else None
            found = looked if looked is not None else UNMAPPED
            self._cache[key] = found
        if found.concept_id == 0:
            self.unmapped[key] += 1
        return found

    def peek(self, system: str | None, code: str) -> Concept:
        """Like `concept` but without counting (to choose among several codings)."""
        key = (system or "", code)
        found = self._cache.get(key)
        if found is None:
            vocabulary_id = self.vocabulary_id(system)
            looked = self._fetch(vocabulary_id, code) if vocabulary_id else None
            found = looked if looked is not None else UNMAPPED
            self._cache[key] = found
        return found

    def unit(self, code: str) -> int:
        """UCUM code → unit concept (0 when the vocabulary lacks it, counted)."""
        found = self.units.get(code)
        if found is None:
            self.unmapped_units[code] += 1
            return 0
        return found


def memory_vocabulary(
    mappings: Mappings,
    concepts: Iterable[tuple[str, str, int, int, str | None]],
    units: dict[str, int] | None = None,
) -> Vocabulary:
    """A vocabulary from (vocabulary_id, code, concept_id, source_concept_id, domain) tuples:
    for transform tests, which must not need a database."""
    table = {(v, c): Concept(cid, sid, dom) for v, c, cid, sid, dom in concepts}
    return Vocabulary(mappings, lambda v, c: table.get((v, c)), dict(units or {}))


_LOOKUP = """
SELECT c.concept_id, coalesce(
         (SELECT s.target_concept_id FROM {cdm}.source_to_concept_map s
           WHERE s.source_vocabulary_id = c.vocabulary_id AND s.source_code = c.concept_code
             AND s.invalid_reason IS NULL ORDER BY s.target_concept_id LIMIT 1),
         CASE WHEN c.standard_concept = 'S' THEN c.concept_id END,
         (SELECT r.concept_id_2 FROM {cdm}.concept_relationship r
            JOIN {cdm}.concept t ON t.concept_id = r.concept_id_2 AND t.standard_concept = 'S'
           WHERE r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to'
             AND r.invalid_reason IS NULL ORDER BY r.concept_id_2 LIMIT 1), 0)
  FROM {cdm}.concept c WHERE c.vocabulary_id = %s AND c.concept_code = %s
UNION ALL
SELECT 0, s.target_concept_id FROM {cdm}.source_to_concept_map s
 WHERE s.source_vocabulary_id = %s AND s.source_code = %s AND s.invalid_reason IS NULL
 ORDER BY 1 DESC LIMIT 1
"""
_DOMAIN = "SELECT domain_id FROM {cdm}.concept WHERE concept_id = %s"
_UNITS = (
    "SELECT concept_code, concept_id FROM {cdm}.concept WHERE vocabulary_id = 'UCUM'"
    " AND standard_concept = 'S' AND invalid_reason IS NULL"
)


def database_vocabulary(db: Database, conn: psycopg.Connection, mappings: Mappings) -> Vocabulary:
    """A vocabulary reading `db` on `conn` (its own connection: the load connection is busy
    with COPY). A failing lookup raises `VocabularyError`, never a silent 0 (§f2o-063)."""
    cdm = sql.Identifier(db.cdm_schema)
    lookup = sql.SQL(_LOOKUP).format(cdm=cdm)
    domain = sql.SQL(_DOMAIN).format(cdm=cdm)

    def fetch(vocabulary_id: str, code: str) -> Concept | None:
        try:
            row = conn.execute(lookup, (vocabulary_id, code, vocabulary_id, code)).fetchone()
            if row is None:
                return None
            source_id, standard_id = int(row[0]), int(row[1] or 0)
            dom = conn.execute(domain, (standard_id,)).fetchone() if standard_id else None
        except psycopg.Error as exc:
            raise VocabularyError(
                f"the vocabulary lookup of a {vocabulary_id} code failed: {exc}",
                "Check the database and the vocabulary (`rwe vocab status`).",
            ) from exc
        return Concept(standard_id, source_id, str(dom[0]) if dom else None)

    units = {str(c): int(i) for c, i in conn.execute(sql.SQL(_UNITS).format(cdm=cdm)).fetchall()}
    return Vocabulary(mappings, fetch, units)
