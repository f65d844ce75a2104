"""A fast structure check of a resource's top-level elements (arrays vs objects vs primitives,
required elements, one value[x], id syntax), derived once from the `fhir.resources` R4B models;
a failure is explained by full `fhir.resources` validation (slow, so only on the reject path).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any, NamedTuple

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_OBJECT_ARRAYS = frozenset({"contained", "extension", "modifierExtension"})
_MODULES = {
    "MedicationRequest": "medicationrequest",
    "MedicationStatement": "medicationstatement",
    "MedicationAdministration": "medicationadministration",
}


class Element(NamedTuple):
    kind: str  # 'array' | 'object' | 'primitive'
    group: str | None  # choice group (value[x]) name


class Shape(NamedTuple):
    elements: dict[str, Element]
    required: frozenset[str]  # element names, or choice group names
    required_groups: frozenset[str]


def _model(resource_type: str) -> Any:
    module = importlib.import_module(
        f"fhir.resources.R4B.{_MODULES.get(resource_type, resource_type.lower())}"
    )
    return getattr(module, resource_type)


@lru_cache(maxsize=32)
def shape_of(resource_type: str) -> Shape:
    """The top-level element shapes of `resource_type` (cached per run)."""
    elements: dict[str, Element] = {}
    required: set[str] = set()
    groups: set[str] = set()
    for name, info in _model(resource_type).model_fields.items():
        alias = info.alias or name
        if alias == "fhir_comments":
            continue
        text = str(info.annotation)
        if "List[" in text:
            kind = "array"
        elif "Type" in text and "FHIRPrimitiveExtensionType" not in text:
            kind = "object"
        elif alias.startswith("_"):
            kind = "any"
        else:
            kind = "primitive"
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        group = extra.get("one_of_many")
        elements[alias] = Element(kind, str(group) if group else None)
        if info.is_required() or extra.get("element_required"):
            required.add(alias)
        if group and extra.get("one_of_many_required"):
            groups.add(str(group))
    return Shape(elements, frozenset(required), frozenset(groups))


# Resources of one type mostly share their element names and value kinds: the verdict for a
# (type, names, value classes) signature is computed once (bounded cache).
_VERDICTS: dict[tuple[Any, ...], str | None] = {}
_VERDICTS_MAX = 20_000


def structure_problem(resource: dict[str, Any]) -> str | None:
    """A short description of the first structure error, or None when the shape is right."""
    kind = resource["resourceType"]
    ident = resource.get("id")
    if ident is not None and (ident.__class__ is not str or not _ID.match(ident)):
        return f"{kind}.id is not a valid FHIR id"
    signature = (kind, tuple(resource), tuple(map(type, resource.values())))
    try:
        problem = _VERDICTS[signature]
    except KeyError:
        problem = _problem(resource, kind)
        if len(_VERDICTS) >= _VERDICTS_MAX:
            _VERDICTS.clear()
        _VERDICTS[signature] = problem
    if problem is None:
        for key in _OBJECT_ARRAYS.intersection(resource):
            if any(v.__class__ is not dict for v in resource[key]):
                return f"{kind}.{key} must hold objects"
    return problem


def _problem(resource: dict[str, Any], kind: str) -> str | None:
    shape = shape_of(kind)
    seen_groups: dict[str, str] = {}
    for key, value in resource.items():
        if key == "resourceType":
            continue
        element = shape.elements.get(key)
        if element is None:
            return f"{kind}.{key} is not an element of {kind}"
        if element.kind == "array":
            if not isinstance(value, list):
                return f"{kind}.{key} must be an array"
            if key in ("contained", "extension") and any(not isinstance(v, dict) for v in value):
                return f"{kind}.{key} must hold objects"
        elif element.kind == "object" and not isinstance(value, dict):
            return f"{kind}.{key} must be an object"
        elif element.kind == "primitive" and isinstance(value, dict | list):
            return f"{kind}.{key} must be a primitive value"
        if element.group:
            if element.group in seen_groups:
                return (
                    f"{kind} has both {seen_groups[element.group]} and {key} ({element.group}[x])"
                )
            seen_groups[element.group] = key
    for name in shape.required:
        if name not in resource:
            return f"{kind}.{name} is missing (it is required)"
    for group in shape.required_groups:
        if group not in seen_groups:
            return f"{kind}.{group}[x] is missing (it is required)"
    return None


def explain(resource: dict[str, Any], limit: int = 3) -> str | None:
    """What `fhir.resources` R4B validation says is wrong (its first `limit` errors)."""
    try:
        model = _model(str(resource.get("resourceType")))
        model.model_validate(resource)
    except (ImportError, AttributeError):
        return None
    except Exception as exc:  # pydantic.ValidationError and fhir.resources' own errors
        errors = getattr(exc, "errors", None)
        if callable(errors):
            parts = []
            for err in errors()[:limit]:
                where = ".".join(str(p) for p in err.get("loc", ()))
                parts.append(f"{where}: {_without_input(str(err.get('msg')), err.get('input'))}")
            return "; ".join(parts)
        return _without_input(str(exc).splitlines()[0])[:300]
    return None


_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]|$)")


def _without_input(message: str, value: Any = None) -> str:
    """A validation message without the input it echoes (pydantic's `input_value=...`, or the
    value itself quoted in a validator's text): reject reasons never carry resource values."""
    message = _INPUT_VALUE.sub("input_value=…", message)
    if isinstance(value, str | int | float) and not isinstance(value, bool) and len(str(value)) > 2:
        message = message.replace(str(value), "…")
    return message
