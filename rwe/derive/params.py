"""Options and concept sets of the derivations (rwe/omop_mappings/study_sorafenib.toml)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rwe.config import check_identifier
from rwe.errors import BadInputError
from rwe.omop_mappings import MAPPINGS_DIR

STUDY_TOML = MAPPINGS_DIR / "study_sorafenib.toml"
# OHDSI's drug_era and condition_era scripts use a fixed 30-day persistence window.
ERA_PERSISTENCE_DAYS = 30


@dataclass(frozen=True)
class ConceptSetRow:
    set_name: str
    concept_id: int
    label: str
    rank: int = 0
    factor: float = 1.0


@dataclass(frozen=True)
class DeriveParams:
    """Study options; `cutoff_date` None means the latest observation_period_end_date."""

    ingredient_concept_id: int = 1363387
    persistence_window_days: int = 30
    baseline_window_days: int = 30
    tumor_baseline_window_days: int = 30
    min_treatment_days: int = 30
    cbr_min_sd_days: int = 183
    ae_window_days: int = 30
    diagnosis_window_days: int = 30
    cutoff_date: dt.date | None = None
    study_schema: str = "study"

    def with_options(self, **options: Any) -> DeriveParams:
        """A copy with `options` replaced (None values are ignored)."""
        given = {k: v for k, v in options.items() if v is not None}
        unknown = set(given) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise BadInputError(
                f"unknown derive option(s): {', '.join(sorted(unknown))}",
                "See DeriveParams for the option names.",
            )
        return dataclasses.replace(self, **given)

    def validated(self) -> DeriveParams:
        check_identifier(self.study_schema, "study schema")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_days") and (not isinstance(value, int) or value < 0):
                raise BadInputError(
                    f"derive option {f.name} must be a whole number of days >= 0, not {value!r}",
                    "Fix the option or rwe/omop_mappings/study_sorafenib.toml.",
                )
        return self


@dataclass(frozen=True)
class StudyConfig:
    """Default options and concept sets read from the study TOML."""

    params: DeriveParams
    concept_sets: tuple[ConceptSetRow, ...] = field(default_factory=tuple)
    checksum: str = ""

    def concept_ids(self, set_name: str) -> list[int]:
        ids = [row.concept_id for row in self.concept_sets if row.set_name == set_name]
        if not ids:
            raise BadInputError(
                f"concept set {set_name} is empty or missing in the study configuration",
                f"Add it to {STUDY_TOML.name}.",
            )
        return ids


def load_study_config(path: Path | None = None) -> StudyConfig:
    """Read the options and concept sets; a malformed file raises `BadInputError`."""
    path = path or STUDY_TOML
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path.name} is not valid TOML: {exc}", "Fix the file.") from exc
    options = dict(data.get("options", {}))
    params = DeriveParams().with_options(**options).validated()
    rows: list[ConceptSetRow] = []
    for set_name, entries in data.get("concept_sets", {}).items():
        for entry in entries:
            if not isinstance(entry, list) or not 2 <= len(entry) <= 4:
                raise BadInputError(
                    f"{path.name}: concept set {set_name} has a malformed row {entry!r}",
                    "Write rows as [concept_id, label, rank, factor].",
                )
            rows.append(ConceptSetRow(set_name, int(entry[0]), str(entry[1]), *entry[2:]))
    return StudyConfig(params, tuple(rows), hashlib.sha256(raw).hexdigest())
