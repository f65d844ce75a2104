"""FHIR date/dateTime/instant → OMOP date and UTC datetime text (§f2o-070..073)."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$"
)
UTC = dt.UTC


class DateError(ValueError):
    """An unparseable FHIR date; the message names what is wrong."""


class When(NamedTuple):
    """A parsed instant: OMOP date, UTC datetime (None for date-only), imputed (partial date)."""

    date: str
    datetime: str | None
    imputed: bool
    precision: int  # 1 year, 2 month, 3 day, 4 time


def parse_when(value: object, element: str) -> When:
    """Parse a FHIR date or dateTime; partial dates are imputed to the first day (§f2o-071)
    and datetimes converted to UTC (§f2o-072), keeping sub-day precision (§f2o-073)."""
    if not isinstance(value, str):
        raise DateError(f"{element} is not a string")
    if len(value) > 10:
        return _parse_datetime(value, element)
    match = _DATE.match(value)
    if not match:
        raise DateError(f"{element} {value!r} is not a FHIR date")
    year, month, day = match.groups()
    try:
        parsed = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise DateError(f"{element} {value!r} is not a calendar date ({exc})") from exc
    precision = 3 if day else (2 if month else 1)
    return When(parsed.isoformat(), None, precision < 3, precision)


def _parse_datetime(value: str, element: str) -> When:
    match = _DATETIME.match(value)
    if not match:
        raise DateError(f"{element} {value!r} is not a FHIR dateTime")
    if match.group(1) is None:
        raise DateError(f"{element} {value!r} has a time but no time zone")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise DateError(f"{element} {value!r} is not a valid dateTime ({exc})") from exc
    if parsed.utcoffset():
        parsed = parsed.astimezone(UTC)
    text = parsed.strftime("%Y-%m-%d %H:%M:%S")
    return When(text[:10], text, False, 4)


def later_or_equal(end: When | None, start: When) -> bool:
    """End ≥ start, comparing the most precise forms both have."""
    if end is None:
        return True
    if end.datetime and start.datetime:
        return end.datetime >= start.datetime
    return end.date >= start.date
