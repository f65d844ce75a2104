"""A UCUM syntax check: tell a valid UCUM unit code from an unknown one (issue #3: unknown
units are rejected). Atoms and prefixes come from `omop_mappings/ucum.toml`."""

from __future__ import annotations

import re
from functools import lru_cache

from rwe.etl.mappings import Mappings, load_mappings

_ANNOTATION = re.compile(r"\{[^{}]*\}")
_SPLIT = re.compile(r"[./()]")
_EXPONENT = re.compile(r"^(.*?)([+-]?\d+)?$")
_POWER_OF_TEN = re.compile(r"^10[*^][+-]?\d+$")


def is_ucum(code: str, mappings: Mappings | None = None) -> bool:
    """True when `code` parses as a UCUM unit expression (annotations are free text)."""
    return _is_ucum_cached(code) if mappings is None else _check(code, mappings)


@lru_cache(maxsize=4096)
def _is_ucum_cached(code: str) -> bool:
    return _check(code, load_mappings())


def _check(code: str, mappings: Mappings) -> bool:
    if not code or any(ch.isspace() for ch in code) or code.count("(") != code.count(")"):
        return False
    stripped = _ANNOTATION.sub("", code)
    if "{" in stripped or "}" in stripped:
        return False
    for term in _SPLIT.split(stripped):
        if not term or term == "1":
            continue  # an annotation alone, "/d" (leading division) or the unity
        if not _is_component(term, mappings):
            return False
    return True


def _is_component(term: str, mappings: Mappings) -> bool:
    if _POWER_OF_TEN.match(term):
        return True
    match = _EXPONENT.match(term)
    atom = match.group(1) if match else term
    if not atom:
        return term.isdigit()  # a plain factor such as 24 in "/24.h"
    if atom in mappings.ucum_plain or atom in mappings.ucum_metric:
        return True
    for prefix in mappings.ucum_prefixes:
        if atom.startswith(prefix) and atom[len(prefix) :] in mappings.ucum_metric:
            return True
    return False
