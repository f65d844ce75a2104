"""A fast path for the common lab Observation (≥ 80% of a bulk export): msgspec decodes the
line straight into typed structs of the one shape it accepts, which also proves the structure
check passes, and the row is built without the generic dict walk. `code`, `category` and
`referenceRange`, which repeat from lab to lab, are kept as raw JSON and decoded into their
typed structs once per distinct text (FastObservation._coded, _range).

Exactly the generic result or nothing: anything outside the shape (another value[x] or
effective[x], components, comparators, extensions, a reference that is not
`Type/id`, an excluded status, a date or unit the generic path would reject, JSON escapes, an
element of the wrong kind) returns None *before any side effect*, and the caller takes the
generic path (orjson → structure check → `transform_observation`), which decides and explains.

The shape is what hospital exports and Synthea write for a lab: besides the elements the row
comes from (and the first referenceRange's low and high values), it admits the elements the
generic path does not read (issued, identifier, performer, interpretation, note, specimen, ...)
when they have the kind the structure check (rwe.etl.shape) requires, and any other field inside
meta, references, codings and CodeableConcepts, which the generic path does not read either.
`tests/etl/test_perf_fast.py` checks both paths give the same rows, counts and report.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from rwe.etl import rows as R
from rwe.etl.dates import DateError, When, parse_when
from rwe.etl.load import DELIMITER
from rwe.etl.transform.common import SOURCE_VALUE_MAX, Context, target_table
from rwe.etl.units import is_ucum
from rwe.etl.vocabulary import UCUM_SYSTEM, Vocabulary

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR id syntax (as rwe.etl.shape checks it)
_CACHE_MAX = 50_000  # entries in the remembered dates
_TEXTS_MAX = 10_000  # entries remembered per JSON text: (code, category) pairs; referenceRange
_K = TypeVar("_K")
_V = TypeVar("_V")
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)  # deep nesting
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1  # what orjson keeps an int
_AFTER_RANGE = DELIMITER * (R.N_EVENT - 1 - R.RANGE_HIGH)  # operator_concept_id .. the last
_NO_RANGE = DELIMITER  # range_low and range_high empty
_UNKNOWN: Any = object()  # not in a cache (None is a value there)

# Other fields of these objects are admitted and skipped: the generic path reads none of them
# (a coding: pick_code reads its system, code and userSelected; a reference: its `reference`).
# Decoded objects never form cycles, so the garbage collector need not track them (gc=False;
# it also takes back what the longer Observation below costs to decode).


class _Coding(msgspec.Struct, gc=False, rename="camel"):
    system: str | None = None
    code: str | None = None
    user_selected: bool | None = None  # read when there are several codings


class _Concept(msgspec.Struct, gc=False):
    coding: list[_Coding] = []
    text: str | None = None


class _Reference(msgspec.Struct, gc=False):
    reference: str


class _Meta(msgspec.Struct, gc=False, rename="camel"):
    last_updated: str | None = None


class _Object(msgspec.Struct, gc=False):
    """Any JSON object: an element the generic path does not read, whose kind the structure
    check requires to be an object."""


class _Quantity(msgspec.Struct, gc=False, forbid_unknown_fields=True):  # a comparator counts
    value: int | float
    code: str
    system: str
    unit: str | None = None


class _Bound(msgspec.Struct, gc=False):  # referenceRange.low/.high: the generic path reads value
    value: int | float | None = None


class _Range(msgspec.Struct, gc=False):
    low: _Bound | None = None
    high: _Bound | None = None


class Observation(
    msgspec.Struct,
    gc=False,
    forbid_unknown_fields=True,
    rename="camel",
    tag_field="resourceType",
    tag="Observation",
):
    """The accepted shape: every element typed (code, category and referenceRange as raw JSON
    that FastObservation types once per text); an unknown element fails the decode. An element
    that is present must not be null (the structure check rejects a null object or array),
    hence UNSET rather than None as the default of the optional objects."""

    id: str
    status: str
    code: msgspec.Raw  # a _Concept: decoded once per text (FastObservation._coded)
    subject: _Reference
    effective_date_time: str
    value_quantity: _Quantity
    meta: _Meta | UnsetType = UNSET
    category: msgspec.Raw | UnsetType = UNSET  # a list[_Concept], as code
    encounter: _Reference | UnsetType = UNSET
    reference_range: msgspec.Raw | UnsetType = UNSET  # a list[_Range] (FastObservation._range)
    # Elements the generic path does not read (with an effectiveDateTime, not even issued):
    # only their kind is checked, as the structure check does.
    issued: str | None = None
    language: str | None = None
    implicit_rules: str | None = None
    identifier: list[msgspec.Raw] | UnsetType = UNSET
    based_on: list[msgspec.Raw] | UnsetType = UNSET
    part_of: list[msgspec.Raw] | UnsetType = UNSET
    focus: list[msgspec.Raw] | UnsetType = UNSET
    performer: list[msgspec.Raw] | UnsetType = UNSET
    interpretation: list[msgspec.Raw] | UnsetType = UNSET
    note: list[msgspec.Raw] | UnsetType = UNSET
    has_member: list[msgspec.Raw] | UnsetType = UNSET
    derived_from: list[msgspec.Raw] | UnsetType = UNSET
    text: _Object | UnsetType = UNSET
    body_site: _Object | UnsetType = UNSET
    method: _Object | UnsetType = UNSET
    specimen: _Object | UnsetType = UNSET
    device: _Object | UnsetType = UNSET


_decoder = msgspec.json.Decoder(Observation)
_concept = msgspec.json.Decoder(_Concept)
_categories = msgspec.json.Decoder(list[_Concept])
_ranges = msgspec.json.Decoder(list[_Range])

# The coding the generic path takes, with the category codes: (system, code, categories).
_Code = tuple[str | None, str, tuple[str, ...]]
# A code in a category list, as first looked up: (staging COPY text up to source_value, the
# unmapped (system, code) or None, type concept, OMOP table, (direct CDM text around the
# concept: "<d>concept<d>", "<d>source value<d>source concept<d>")).
_Head = tuple[str, tuple[str, str] | None, int, str, tuple[str, str]]
# A unit: (staging COPY text of unit_concept_id and unit_source_value, the unknown UCUM unit
# or None, direct unit_concept_id text, unit_source_value).
_Tail = tuple[str, str | None, str, str]
# What parts() finds: (fhir id, last_updated, person id, visit id, head, start, the value as
# text (f"{value}", as the generic path writes it), tail, COPY text of range_low and range_high).
Hit = tuple[str, str, str, str, _Head, When, str, _Tail, str]


def _ref_id(ref: _Reference | UnsetType, expected: str) -> str | bool | None:
    """The id of a plain `Type/id` reference to `expected`; None when absent; False when the
    generic path must decide (other forms, other types)."""
    if ref is UNSET:
        return None
    kind, slash, ident = ref.reference.partition("/")
    if kind != expected or not slash or "/" in ident:
        return False
    return ident


class FastObservation:
    """Builds the staged rows of fast-path Observations (one per run or worker)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        mappings = ctx.mappings
        self.excluded = mappings.excluded_status.get("Observation", frozenset())
        self._dates: dict[str, When | None] = {}  # None: the generic path explains it
        self._routes: dict[tuple[str, ...], tuple[str, int]] = {}
        self._heads: dict[_Code, _Head] = {}
        self._tails: dict[tuple[str, str | None, bool], _Tail] = {}  # (unit, text, UCUM?)
        # Per JSON text of code and category: (system, code, category codes); of
        # referenceRange: COPY text of range_low and range_high; None: the generic path decides.
        self._codes: dict[tuple[bytes, bytes], _Code | None] = {}
        self._ranges: dict[bytes, str | None] = {}
        # f"{value}" of the float lab values seen (they repeat: a few significant digits per
        # lab; formatting one costs ~0.35 µs, looking it up ~0.03 µs)
        self._numbers: dict[float, str] = {}

    def _head(self, system: str | None, code: str, categories: tuple[str, ...]) -> _Head:
        """First sight of a code in a category list: the generic lookups (counting)."""
        ctx = self.ctx
        default, type_concept = self._route(categories)
        concept = ctx.vocabulary.concept(system, code)  # counts an unmapped code
        table = target_table(concept, default, ctx)
        if table != "measurement" and table != "observation":
            table = default if default in ("measurement", "observation") else "observation"
        d = DELIMITER
        prefix = (
            f"0{d}{table}{d}{concept.concept_id}{d}{concept.source_concept_id}{d}"
            f"{code[:SOURCE_VALUE_MAX]}{d}"
        )
        unmapped = (system or "", code) if concept.concept_id == 0 else None
        direct = (
            f"{d}{concept.concept_id}{d}",
            f"{d}{code[:SOURCE_VALUE_MAX]}{d}{concept.source_concept_id}{d}",
        )
        return prefix, unmapped, type_concept, table, direct

    def _coded(self, code: msgspec.Raw, category: msgspec.Raw | UnsetType) -> _Code | None:
        """(system, code, category codes) of the coding the generic path takes
        (rwe.etl.transform.common.pick_code: a userSelected one, then one that maps, then one of
        a known system, then the first), or None when it must decide: decoded (looked up
        without counting) once per JSON text of code and category, which repeat from lab to
        lab; no side effect."""
        text = (bytes(code), b"" if category is UNSET else bytes(category))
        try:
            return self._codes[text]
        except KeyError:
            pass
        found: _Code | None = None
        try:
            codings = _concept.decode(text[0]).coding
            categories = [] if category is UNSET else _categories.decode(text[1])
        except _DECODE_ERRORS:
            codings = []
        if codings:
            coding = codings[_choose(codings, self.ctx.vocabulary) if len(codings) > 1 else 0]
            if coding.code:
                listed = tuple(c.code for i in categories for c in i.coding if c.code is not None)
                found = (coding.system, coding.code, listed)
        return remember(self._codes, text, found, _TEXTS_MAX)

    def _range(self, ranges: msgspec.Raw) -> str | None:
        """The COPY text of range_low and range_high (the first referenceRange's low and high
        values), or None when the generic path must decide: once per JSON text."""
        text = bytes(ranges)
        try:
            return self._ranges[text]
        except KeyError:
            pass
        found: str | None = None
        try:
            decoded = _ranges.decode(text)
        except _DECODE_ERRORS:
            decoded = None
        if decoded == []:
            found = _NO_RANGE
        elif decoded:
            low = _bound(decoded[0].low)
            high = _bound(decoded[0].high)
            if low is not None and high is not None:
                found = f"{low}{DELIMITER}{high}"
        return remember(self._ranges, text, found, _TEXTS_MAX)

    def _tail(self, unit: str, unit_text: str | None, ucum: bool) -> _Tail:
        """First sight of a unit: the generic lookup (counting an unknown UCUM unit)."""
        concept: Any = ""
        source = ""
        unmapped = None
        if unit:
            concept = self.ctx.vocabulary.unit(unit) if ucum else 0
            if ucum and unit not in self.ctx.vocabulary.units:
                unmapped = unit
            source = (unit_text if unit_text is not None else unit)[:SOURCE_VALUE_MAX]
        elif unit_text:
            concept = 0
            source = unit_text[:SOURCE_VALUE_MAX]
        return f"{concept}{DELIMITER}{source}", unmapped, f"{concept}", source

    def _when(self, value: str, element: str) -> When | None:
        """The parsed date, or None when the generic path must reject it (whatever the
        element: only the message names it)."""
        known = self._dates.get(value, _UNKNOWN)
        if known is not _UNKNOWN:  # (not try/except KeyError: most times of a real export
            return known  # are new, and a raised KeyError made a new one 0.3 µs dearer)
        parsed: When | None
        try:
            parsed = parse_when(value, element)
        except DateError:
            parsed = None
        return remember(self._dates, value, parsed, _CACHE_MAX)

    def _route(self, categories: tuple[str, ...]) -> tuple[str, int]:
        """(default table for a valueQuantity, type concept) of a category list."""
        found = self._routes.get(categories)
        if found is None:
            mappings = self.ctx.mappings
            default = mappings.default_table_for("Observation", ["quantity", *categories])
            category = (
                "laboratory"
                if "laboratory" in categories
                else (categories[0] if categories else "*")
            )
            found = (default, mappings.type_for("Observation", category))
            self._routes[categories] = found
        return found

    @staticmethod
    def text(hit: Hit) -> tuple[str, str, str, str, str]:
        """A parts() hit as staging text: (fhir id, last_updated, person ref, visit ref, COPY
        text of the event row without its occ), None being ""."""
        ident, last_updated, person, visit, head, start, value, tail, bounds = hit
        # The COPY text of the event row (rwe.etl.load.encode_row of the same values: None
        # and "" are empty; no value can hold the delimiter, quote, CR, LF or NUL, see parts()).
        d = DELIMITER
        event = (
            f"{head[0]}{start.date or ''}{d}{start.datetime or ''}{d}{d}{d}{head[2]}{d}{value}"
            f"{d}{d}{d}{value[:SOURCE_VALUE_MAX]}{d}{tail[0]}{d}{bounds}{_AFTER_RANGE}"
        )
        return ident, last_updated, person, visit, event

    def parts(self, line: bytes) -> Hit | None:
        """The pieces of a fast-path Observation's row (text() joins them as staging text,
        rwe.etl.direct as CDM rows), or None: take the generic path. The counters of the
        generic path are updated (once per returned hit)."""
        if b"\\" in line:
            # No escapes (lone surrogates, \n, ...): with msgspec refusing raw control
            # characters in strings, no decoded text can then hold a COPY control character.
            return None
        if not line.isascii():
            try:  # msgspec does not check the UTF-8 of what it skips; orjson rejects it all
                line.decode()
            except UnicodeDecodeError:
                return None
        try:
            obs = _decoder.decode(line)
        except _DECODE_ERRORS:
            return None
        ident = obs.id
        if not _ID.match(ident) or obs.status in self.excluded:
            return None
        person = _ref_id(obs.subject, "Patient")
        visit = _ref_id(obs.encounter, "Encounter")
        if person is False or visit is False:
            return None
        key = self._coded(obs.code, obs.category)
        if key is None:
            return None
        last_updated = None
        meta = obs.meta
        if meta is not UNSET and meta.last_updated is not None:
            stamp = self._when(meta.last_updated, "Observation.meta.lastUpdated")
            if stamp is None:
                return None
            last_updated = stamp.datetime or stamp.date
        start = self._when(obs.effective_date_time, "Observation.effectiveDateTime")
        if start is None:
            return None
        quantity = obs.value_quantity
        if _beyond_orjson(quantity.value):
            return None
        unit = quantity.code
        ucum = quantity.system == UCUM_SYSTEM
        if unit and ucum and not is_ucum(unit):
            return None
        bounds: str | None = _NO_RANGE
        if obs.reference_range is not UNSET:
            bounds = self._range(obs.reference_range)
            if bounds is None:
                return None
        # From here on: the generic path's side effects (counters), then the row.
        ctx = self.ctx
        if start.imputed:
            ctx.imputed_dates["Observation.effectiveDateTime"] += 1
        head = self._heads.get(key)
        if head is None:
            head = self._head(*key)
            self._heads[key] = head
        elif head[1] is not None:
            ctx.vocabulary.unmapped[head[1]] += 1
        value = quantity.value
        if value.__class__ is float and value:  # not 0.0, which equals -0.0 as a key
            number = self._numbers.get(value)
            if number is None:
                number = remember(self._numbers, value, f"{value}", _CACHE_MAX)
        else:  # an int (1 equals 1.0 as a key: ints are not remembered)
            number = f"{value}"
        unit_key = (unit, quantity.unit, ucum)
        tail = self._tails.get(unit_key)
        if tail is None:
            tail = self._tail(unit, quantity.unit, ucum)
            self._tails[unit_key] = tail
        elif tail[1] is not None:
            ctx.vocabulary.unmapped_units[tail[1]] += 1
        return (
            ident,
            last_updated or "",
            person,  # type: ignore[return-value]
            visit or "",
            head,
            start,
            number,
            tail,
            bounds,
        )


def remember(cache: dict[_K, _V], key: _K, value: _V, limit: int) -> _V:
    """`value`, stored under `key`; a full cache is emptied first (memory stays bounded).
    The ETL's per-run caches use it (here and rwe.etl.direct)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


def _choose(codings: list[_Coding], vocabulary: Vocabulary) -> int:
    """pick_code's choice among several codings, as an index."""
    for index, coding in enumerate(codings):
        if coding.user_selected is True:
            return index
    for index, coding in enumerate(codings):
        if coding.code is not None and vocabulary.peek(coding.system, coding.code).concept_id:
            return index
    for index, coding in enumerate(codings):
        if vocabulary.vocabulary_id(coding.system):
            return index
    return 0


def _bound(bound: _Bound | None) -> str | None:
    """A referenceRange low/high value as the generic path stages it (float), "" when absent;
    None when the generic path must decide (an integer orjson would not read as one)."""
    if bound is None or bound.value is None:
        return ""
    if _beyond_orjson(bound.value):
        return None
    return f"{float(bound.value)}"


def _beyond_orjson(value: int | float) -> bool:
    """An integer orjson reads as a float (beyond 64 bits): the generic path decides."""
    return value.__class__ is int and not _INT_MIN <= value <= _INT_MAX
