"""The ETL's mapping tables, read once from `rwe/omop_mappings/` (mappings are data)."""

from __future__ import annotations

import csv
import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rwe.omop_mappings import CODE_SYSTEM_CSV, MAPPINGS_DIR


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Mappings:
    """FHIR value → OMOP concept maps, type concepts, status filters and table routing."""

    code_system: dict[str, str]  # FHIR system URI -> OMOP vocabulary_id
    value_concept: dict[tuple[str, str], int]  # (field, code) -> concept_id
    type_concept: dict[tuple[str, str], int]  # (resource_type, category or '*') -> type concept
    excluded_status: dict[str, frozenset[str]]  # resource_type -> statuses not loaded
    domain_table: dict[str, str]  # concept domain -> OMOP table (§f2o-037)
    default_table: dict[tuple[str, str], str]  # (resource_type, category or '*') -> table
    ucum_prefixes: tuple[str, ...]
    ucum_metric: frozenset[str]
    ucum_plain: frozenset[str]
    fingerprint: str = field(default="")

    def type_for(self, resource_type: str, category: str = "*") -> int:
        """The type concept for a resource type and category (§f2o-050..053)."""
        found = self.type_concept.get((resource_type, category))
        if found is None:
            found = self.type_concept.get((resource_type, "*"), 32817)
        return found

    def default_table_for(self, resource_type: str, categories: list[str]) -> str:
        for category in categories:
            table = self.default_table.get((resource_type, category))
            if table:
                return table
        return self.default_table[(resource_type, "*")]


_FILES = (
    "code_system.csv",
    "fhir_value_concept.csv",
    "type_concept.csv",
    "status_filter.csv",
    "domain_table.csv",
    "default_table.csv",
    "ucum.toml",
    "source_to_concept_map.csv",
    "local_concept.csv",
)


@lru_cache(maxsize=1)
def load_mappings() -> Mappings:
    """Read the mapping files (cached: they ship with rwe and never change during a run)."""
    digest = hashlib.sha256()
    for name in _FILES:
        digest.update((MAPPINGS_DIR / name).read_bytes())
    status: dict[str, set[str]] = {}
    for row in _rows(MAPPINGS_DIR / "status_filter.csv"):
        status.setdefault(row["resource_type"], set()).add(row["status"])
    ucum = tomllib.loads((MAPPINGS_DIR / "ucum.toml").read_text(encoding="utf-8"))
    return Mappings(
        code_system={r["system"]: r["vocabulary_id"] for r in _rows(CODE_SYSTEM_CSV)},
        value_concept={
            (r["field"], r["code"]): int(r["concept_id"])
            for r in _rows(MAPPINGS_DIR / "fhir_value_concept.csv")
        },
        type_concept={
            (r["resource_type"], r["category"]): int(r["type_concept_id"])
            for r in _rows(MAPPINGS_DIR / "type_concept.csv")
        },
        excluded_status={k: frozenset(v) for k, v in status.items()},
        domain_table={r["domain_id"]: r["table"] for r in _rows(MAPPINGS_DIR / "domain_table.csv")},
        default_table={
            (r["resource_type"], r["category"]): r["table"]
            for r in _rows(MAPPINGS_DIR / "default_table.csv")
        },
        ucum_prefixes=tuple(sorted(ucum["prefixes"], key=len, reverse=True)),
        ucum_metric=frozenset(ucum["metric"]),
        ucum_plain=frozenset(ucum["plain"]),
        fingerprint=digest.hexdigest()[:16],
    )
