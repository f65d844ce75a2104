"""Parsed FHIR datetimes and their UTC text (rwe/etl/dates.py, Direct._utc_text)."""

from __future__ import annotations

import datetime as dt

import pytest

from rwe.etl.dates import DateError, parse_when
from rwe.etl.direct import Direct
from rwe.etl.fast import FastObservation


def _converted(text: str) -> tuple[str, str]:
    """The UTC (date, timestamp) text by conversion, as Direct._utc_text writes it for any
    offset (and as PostgreSQL's AT TIME ZONE 'UTC' gives it)."""
    instant = parse_when(text, "t").instant
    assert instant is not None
    utc = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.date().isoformat(), utc.isoformat(sep=" ")


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",
        "0999-12-31T23:59:59Z",
        "2020-02-29T12:34:56Z",
        "2024-06-01T02:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_utc_text_of_a_time_in_z_is_its_own_text(text: str) -> None:
    """The shortcut for `YYYY-MM-DDThh:mm:ssZ` gives what the conversion gives."""
    direct = Direct(1, 0, frozenset, frozenset)
    assert direct._utc_text(parse_when(text, "t")) == _converted(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-01T01:30:00+02:00", ("2019-12-31", "2019-12-31 23:30:00")),
        ("2020-01-01T23:30:00.25-05:00", ("2020-01-02", "2020-01-02 04:30:00.250000")),
        ("2020-01-01T10:00Z", ("2020-01-01", "2020-01-01 10:00:00")),
    ],
)
def test_utc_text_of_other_times_is_converted(text: str, expected: tuple[str, str]) -> None:
    direct = Direct(1, 0, frozenset, frozenset)
    assert direct._utc_text(parse_when(text, "t")) == expected == _converted(text)


@pytest.mark.parametrize("text", ["2020-01-01T24:00:00Z", "2020-01-01T25:00:00Z"])
def test_hour_24_is_not_a_fhir_datetime(text: str) -> None:
    """FHIR's hours are 00-23; newer Pythons' fromisoformat reads 24:00 as the next day, so the
    check must not leave it to fromisoformat."""
    with pytest.raises(DateError, match="is not a FHIR dateTime"):
        parse_when(text, "Observation.effectiveDateTime")


def test_fast_path_remembers_a_date_it_cannot_take() -> None:
    """None in the fast path's date cache means "the generic path rejects it", every time."""
    fast = FastObservation.__new__(FastObservation)
    fast._dates = {}
    assert fast._when("2020-13-01", "Observation.effectiveDateTime") is None
    assert fast._dates == {"2020-13-01": None}
    assert fast._when("2020-13-01", "Observation.effectiveDateTime") is None
    assert fast._when("2020-12-01", "Observation.effectiveDateTime") is not None
