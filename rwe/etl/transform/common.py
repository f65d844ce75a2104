"""What every transform shares: the result type, rejects, references, codings, dates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rwe.etl.dates import DateError, When, parse_when
from rwe.etl.mappings import Mappings
from rwe.etl.vocabulary import UNMAPPED, Concept, Vocabulary

SOURCE_VALUE_MAX = 50  # *_source_value is VARCHAR(50) in CDM v5.4
STUDY_SYSTEM = "urn:rwe:study"


class RejectError(Exception):
    """The resource cannot be loaded; `kind` groups reasons in the report, the message names
    what is wrong (§f2o-012)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Context:
    """What a transform may consult: the run's vocabulary and mappings, and (for a Bundle
    entry) the Bundle's `fullUrl` → (type, id) map. Transforms do no I/O."""

    vocabulary: Vocabulary
    mappings: Mappings
    refs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    imputed_dates: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    # The date the input's data are current to (a bulk export's manifest transactionTime, else
    # the run's UTC date): the imputed end of an exposure still ongoing. None: end = start.
    data_date: str | None = None


@dataclass(slots=True)
class Result:
    """A transform's output for one resource."""

    rows: list[list[Any]] = field(default_factory=list)
    person: tuple[Any, ...] | None = None
    medication: tuple[Any, ...] | None = None
    excluded: str | None = None  # reason when the resource is not loaded (§f2o-060)
    person_ref: str | None = None
    visit_ref: str | None = None
    medication_ref: str | None = None


def excluded(reason: str, person_ref: str | None = None) -> Result:
    return Result(excluded=reason, person_ref=person_ref)


def reference(
    resource: Mapping[str, Any], element: str, expected: str, ctx: Context, required: bool = False
) -> str | None:
    """The logical id a Reference element points to, if it is a `expected` resource.

    Handles `Type/id`, absolute URLs, `_history` versions and Bundle `urn:uuid:` full URLs.
    """
    value = resource.get(element)
    if value is None:
        if required:
            raise RejectError("structure", f"{resource.get('resourceType')}.{element} is missing")
        return None
    if not isinstance(value, dict):
        raise RejectError(
            "structure", f"{resource.get('resourceType')}.{element} is not a Reference object"
        )
    ref = value.get("reference")
    if not isinstance(ref, str):
        if required:
            raise RejectError(
                "structure", f"{resource.get('resourceType')}.{element} has no reference"
            )
        return None
    resolved = ctx.refs.get(ref)
    if resolved is not None:
        kind, ident = resolved
    elif ref.startswith("urn:"):
        raise RejectError(
            "reference", f"{resource.get('resourceType')}.{element} is not in the Bundle"
        )
    else:
        parts = ref.split("/")
        if "_history" in parts:
            parts = parts[: parts.index("_history")]
        if len(parts) < 2:
            if required:
                raise RejectError(
                    "reference",
                    f"{resource.get('resourceType')}.{element} is not Type/id",
                )
            return None
        kind, ident = parts[-2], parts[-1]
    if kind != expected:
        if required:
            raise RejectError(
                "reference",
                f"{resource.get('resourceType')}.{element} points to a {kind}, not a {expected}",
            )
        return None
    return ident


def codings(value: Any, element: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise RejectError("structure", f"{element} is not a CodeableConcept object")
    found = value.get("coding") or []
    if not isinstance(found, list):
        raise RejectError("structure", f"{element}.coding is not an array")
    return found


def pick_code(
    value: Any, element: str, ctx: Context
) -> tuple[Concept, str | None, str | None, str | None]:
    """(concept, system, code, source_value) of the best coding of a CodeableConcept.

    Several codings (§f2o-034..036): a `userSelected` one first, then one that maps to a
    standard concept, then the first with a system rwe knows, then the first.
    """
    options = codings(value, element)
    if not options:
        text = value.get("text") if isinstance(value, dict) else None
        if isinstance(text, str) and text:
            return UNMAPPED, None, None, text[:SOURCE_VALUE_MAX]
        return UNMAPPED, None, None, None
    vocab = ctx.vocabulary
    best: dict[str, Any] | None = None
    if len(options) == 1:
        best = options[0]
    else:
        for coding in options:
            if isinstance(coding, dict) and coding.get("userSelected") is True:
                best = coding
                break
        if best is None:
            for coding in options:
                if (
                    isinstance(coding, dict)
                    and isinstance(coding.get("code"), str)
                    and vocab.peek(coding.get("system"), coding["code"]).concept_id
                ):
                    best = coding
                    break
        if best is None:
            for coding in options:
                if isinstance(coding, dict) and vocab.vocabulary_id(coding.get("system")):
                    best = coding
                    break
        if best is None:
            best = options[0]
    if not isinstance(best, dict):
        raise RejectError("structure", f"{element}.coding holds a non-object")
    code = best.get("code")
    system = best.get("system")
    if not isinstance(code, str) or not code:
        return UNMAPPED, system, None, None
    return vocab.concept(system, code), system, code, code[:SOURCE_VALUE_MAX]


def when(value: Any, element: str, ctx: Context) -> When:
    try:
        parsed = parse_when(value, element)
    except DateError as exc:
        raise RejectError("date", str(exc)) from exc
    if parsed.imputed:
        ctx.imputed_dates[element] += 1
    return parsed


def category_codes(resource: Mapping[str, Any]) -> list[str]:
    """Codes of `category` (0..* CodeableConcept, or 0..1 in some resources)."""
    value = resource.get("category")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        for coding in codings(item, "category"):
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                found.append(coding["code"])
    return found


def target_table(concept: Concept, default: str, ctx: Context) -> str:
    """The OMOP table follows the standard concept's domain (§f2o-037)."""
    if concept.concept_id and concept.domain_id:
        return ctx.mappings.domain_table.get(concept.domain_id, default)
    return default


def number(value: Any, element: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectError("structure", f"{element} is not a number")
    return float(value)
