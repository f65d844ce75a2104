"""The derived objects, their tables and dependencies (SQL in rwe/sql/derive/<name>.sql)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from rwe.db.sqlfiles import SQL_ROOT
from rwe.errors import RweError

Scope = Literal["cdm", "study"]
DERIVE_DIR = SQL_ROOT / "derive"
TABLES_DIR = DERIVE_DIR / "tables"


@dataclass(frozen=True)
class DerivedObject:
    """One `.sql` file that fills one table; `scope` says which fingerprint governs it."""

    name: str
    scope: Scope
    depends_on: tuple[str, ...] = ()
    sequence: str | None = None  # id sequence in @rwe, restarted by a full build

    @property
    def sql_file(self) -> str:
        return f"derive/{self.name}.sql"

    @property
    def table_file(self) -> str | None:
        return f"derive/tables/{self.name}.sql" if self.scope == "study" else None

    def checksum(self) -> str:
        return hashlib.sha256((DERIVE_DIR / f"{self.name}.sql").read_bytes()).hexdigest()


OBJECTS: tuple[DerivedObject, ...] = (
    DerivedObject("drug_era", "cdm", sequence="drug_era_id_seq"),
    DerivedObject("condition_era", "cdm", sequence="condition_era_id_seq"),
    DerivedObject("sorafenib_episode", "study"),
    DerivedObject("baseline_marker", "study", ("sorafenib_episode",)),
    DerivedObject("sorafenib_response", "study", ("sorafenib_episode",)),
    DerivedObject("sorafenib_outcome", "study", ("sorafenib_episode", "sorafenib_response")),
    DerivedObject("sorafenib_adverse_event", "study", ("sorafenib_episode",)),
    DerivedObject("sorafenib_characteristic", "study", ("sorafenib_episode",)),
)
# Study tables that are not filled by a derivation file of their own.
SUPPORT_TABLES = ("concept_set",)


def in_dependency_order(objects: tuple[DerivedObject, ...] = OBJECTS) -> list[DerivedObject]:
    """Objects sorted so that each comes after what it depends on (stable otherwise)."""
    by_name = {o.name: o for o in objects}
    done: list[DerivedObject] = []
    visiting: set[str] = set()

    def visit(obj: DerivedObject) -> None:
        if obj in done:
            return
        if obj.name in visiting:
            raise RweError(f"derived object {obj.name} depends on itself", "Fix objects.py.")
        visiting.add(obj.name)
        for dep in obj.depends_on:
            visit(by_name[dep])
        visiting.discard(obj.name)
        done.append(obj)

    for obj in objects:
        visit(obj)
    return done


def study_table_names() -> list[str]:
    return [*SUPPORT_TABLES, *(o.name for o in OBJECTS if o.scope == "study")]
