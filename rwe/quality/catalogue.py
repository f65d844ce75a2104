"""The check catalogue: `checks.toml` expanded into checks, with per-site overrides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rwe.errors import BadInputError

SEVERITIES = ("fatal", "warn")
# Check types run as great-expectations column expectations on a table asset; every other type
# is one aggregate SQL query (rwe/sql/quality/<type>.sql) run as an UnexpectedRowsExpectation.
COLUMN_CHECK_TYPES = ("isRequired",)
_LAB_TYPES = ("plausibleUnitConceptIds", "plausibleValueLow", "plausibleValueHigh")
_OVERRIDABLE = {"severity", "threshold", "enabled", "description"}


@dataclass(frozen=True)
class Check:
    """One data-quality check: what it tests, how strictly, and how it runs."""

    check_id: str
    check_type: str
    category: str
    table: str  # CDM table name, or "schema.table" outside the CDM schema (study tables)
    field: str | None
    severity: str
    threshold: float  # percent of failing rows tolerated
    description: str
    concept_id: int | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    requires: tuple[str, ...] = ()  # "schema.table" that must exist, else "Not applicable"
    enabled: bool = True

    @property
    def engine(self) -> str:
        """`column` (a great-expectations column expectation) or `sql` (a query expectation)."""
        if self.check_type in COLUMN_CHECK_TYPES:
            return "column"
        if self.check_type in ("plausibleValueLow", "plausibleValueHigh") and not self.concept_id:
            return "column"
        return "sql"


@dataclass(frozen=True)
class RegressionSettings:
    """How far a metric may move against the previous gate run before it is flagged."""

    severity: str = "warn"
    max_row_count_change_pct: float = 20.0
    max_share_change_points: float = 2.0
    share_check_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    checks: tuple[Check, ...]
    regression: RegressionSettings
    sha256: str  # of the effective catalogue, stored with each gate run

    def enabled(self) -> list[Check]:
        return [c for c in self.checks if c.enabled]

    def get(self, check_id: str) -> Check:
        for check in self.checks:
            if check.check_id == check_id:
                return check
        raise KeyError(check_id)


def builtin_catalogue_text() -> str:
    return resources.files("rwe.quality").joinpath("checks.toml").read_text(encoding="utf-8")


def load_catalogue(
    site_file: Path | None = None, site_config: dict[str, Any] | None = None
) -> Catalogue:
    """The built-in catalogue with a site's overrides applied.

    `site_file` is a TOML file (`--checks FILE`); `site_config` the `[quality]` table of rwe.toml.
    Both may hold, at top level or under `[quality]`:

    * `[checks."<check id>"]` with `severity`, `threshold`, `enabled`, `description`;
    * `[check_types.<type>]` with the same keys, applied to every check of that type;
    * extra `[[check]]` and `[[lab]]` entries, in the built-in format;
    * `[regression]` settings.

    The file wins over rwe.toml. Unknown check ids or keys are errors, never ignored.
    """
    base = tomllib.loads(builtin_catalogue_text())
    overrides = [o for o in (site_config or {}, _read_site_file(site_file)) if o]
    for override in overrides:
        _merge(base, override.get("quality", override))
    checks = _expand(base)
    _apply_overrides(checks, base.get("_check_overrides", {}))
    reg = base.get("regression", {})
    regression = RegressionSettings(
        severity=_severity(reg.get("severity", "warn"), "[regression]"),
        max_row_count_change_pct=float(reg.get("max_row_count_change_pct", 20.0)),
        max_share_change_points=float(reg.get("max_share_change_points", 2.0)),
        share_check_types=tuple(reg.get("share_check_types", ())),
    )
    frozen = tuple(Check(**c) for c in checks.values())
    digest = hashlib.sha256(
        json.dumps([c.__dict__ for c in frozen], sort_keys=True, default=str).encode()
    ).hexdigest()
    return Catalogue(frozen, regression, digest)


def _read_site_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.is_file():
        raise BadInputError(f"checks file {path} does not exist", "Pass an existing TOML file.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path} is not valid TOML: {exc}", "Fix the file's syntax.") from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    unknown = set(override) - {"checks", "check_types", "check", "lab", "regression"}
    if unknown:
        raise BadInputError(
            f"unknown quality settings: {', '.join(sorted(unknown))}",
            'Use [checks."<id>"], [check_types.<type>], [[check]], [[lab]] or [regression].',
        )
    for name, values in override.get("check_types", {}).items():
        if name not in base["check_types"]:
            raise BadInputError(f"unknown check type {name!r}", "See rwe/quality/checks.toml.")
        _check_keys(values, f"[check_types.{name}]")
        base["check_types"][name].update(values)
    base["check"] = base.get("check", []) + override.get("check", [])
    base["lab"] = base.get("lab", []) + override.get("lab", [])
    base.setdefault("regression", {}).update(override.get("regression", {}))
    base.setdefault("_check_overrides", {}).update(override.get("checks", {}))


def _check_keys(values: dict[str, Any], where: str) -> None:
    unknown = set(values) - _OVERRIDABLE - {"category"}
    if unknown:
        raise BadInputError(
            f"{where}: unknown keys {', '.join(sorted(unknown))}",
            f"Allowed: {', '.join(sorted(_OVERRIDABLE))}.",
        )


def _severity(value: str, where: str) -> str:
    if value not in SEVERITIES:
        raise BadInputError(f"{where}: severity {value!r} is not fatal or warn", "Fix it.")
    return value


def _apply_overrides(checks: dict[str, dict[str, Any]], overrides: dict[str, Any]) -> None:
    for check_id, values in overrides.items():
        if check_id not in checks:
            raise BadInputError(
                f"the quality settings name an unknown check {check_id!r}",
                "List the check ids with `rwe quality list`.",
            )
        _check_keys(values, f'[checks."{check_id}"]')
        target = checks[check_id]
        if "severity" in values:
            target["severity"] = _severity(values["severity"], check_id)
        if "threshold" in values:
            target["threshold"] = float(values["threshold"])
        if "enabled" in values:
            target["enabled"] = bool(values["enabled"])
        if "description" in values:
            target["description"] = str(values["description"])


def _expand(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every [[check]] and [[lab]] entry as one dict per check, keyed by check id."""
    types = doc["check_types"]
    out: dict[str, dict[str, Any]] = {}
    entries = list(doc.get("check", []))
    for lab in doc.get("lab", []):
        entries.extend(_lab_entries(lab))
    for entry in entries:
        entry = dict(entry)
        check_type = entry.pop("type")
        if check_type not in types:
            raise BadInputError(f"unknown check type {check_type!r}", "See checks.toml.")
        defaults = types[check_type]
        table = entry.pop("table")
        fields = entry.pop("fields")
        severity = _severity(entry.pop("severity", defaults["severity"]), check_type)
        threshold = float(entry.pop("threshold", defaults["threshold"]))
        description = entry.pop("description", defaults["description"])
        requires = tuple(entry.pop("requires", ()))
        concept_id = entry.pop("concept_id", None)
        for spec in fields:
            tbl, fld, extra = _parse_field(table, spec)
            params = {**entry, **extra}
            if params.get("high") == "current_year":
                params["high"] = dt.date.today().year
            parts = (
                [check_type, tbl]
                + ([fld] if fld else [])
                + ([str(concept_id)] if concept_id else [])
            )
            check_id = ".".join(parts)
            if check_id in out:
                raise BadInputError(f"check {check_id} is defined twice", "Remove one.")
            out[check_id] = {
                "check_id": check_id,
                "check_type": check_type,
                "category": defaults["category"],
                "table": tbl,
                "field": fld,
                "severity": severity,
                "threshold": threshold,
                "description": description,
                "concept_id": concept_id,
                "params": params,
                "requires": requires,
            }
    return out


def _parse_field(table: str, spec: str) -> tuple[str, str | None, dict[str, Any]]:
    """`field`, `table.field` (when table = "*") and an optional `=value` suffix."""
    extra: dict[str, Any] = {}
    if "=" in spec:
        spec, value = spec.split("=", 1)
        extra["value"] = value
    if table == "*":
        if "." in spec:
            tbl, fld = spec.split(".", 1)
            return tbl, fld, extra
        return spec, None, extra  # a table-level check
    return table, spec, extra


def _lab_entries(lab: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "table": "measurement",
        "concept_id": int(lab["concept_id"]),
        "concept_name": lab["name"],
        "units": [int(u) for u in lab["units"]],
        "ranges": lab["ranges"],
    }
    return [
        {**common, "type": "plausibleUnitConceptIds", "fields": ["unit_concept_id"]},
        {**common, "type": "plausibleValueLow", "fields": ["value_as_number"]},
        {**common, "type": "plausibleValueHigh", "fields": ["value_as_number"]},
    ]
