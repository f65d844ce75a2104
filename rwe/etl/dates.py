"""FHIR date/dateTime/instant → OMOP date and UTC datetime text (§f2o-070..073)."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# The offset as FHIR allows it (-13:59..+14:00): PostgreSQL refuses one of 16 hours or more,
# which would fail the whole COPY of a run. Hours 00-23, as FHIR's: newer Pythons'
# fromisoformat reads 24:00 as the next day's midnight, PostgreSQL too, and
# rwe.etl.direct's UTC text of a time in Z is its own text.
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
    r"(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?$"
)


class DateError(ValueError):
    """An unparseable FHIR date; the message names what is wrong."""


class When(NamedTuple):
    """A parsed FHIR date or dateTime.

    A date (possibly imputed from a partial one) is `date`; a dateTime keeps its FHIR text in
    `datetime` (with its offset: PostgreSQL converts it to UTC when merging, §f2o-072) and the
    parsed value in `instant`.
    """

    date: str | None
    datetime: str | None
    imputed: bool
    precision: int  # 1 year, 2 month, 3 day, 4 time
    instant: dt.datetime | None = None

    def utc_date(self) -> dt.date:
        """The calendar date in UTC."""
        if self.instant is None:
            return dt.date.fromisoformat(str(self.date))
        return (self.instant - (self.instant.utcoffset() or dt.timedelta())).date()


_PARSED: dict[str, When] = {}  # the same dates recur (birth dates, export stamps, days)
_PARSED_MAX = 50_000  # ≈ 15 MB; emptied when full


def parse_when(value: object, element: str) -> When:
    """Parse a FHIR date or dateTime; partial dates are imputed to the first day (§f2o-071)
    and datetimes converted to UTC (§f2o-072), keeping sub-day precision (§f2o-073).
    A `DateError` names the element and what is wrong, never the value (a malformed birth
    date may still be a real one: reject reasons are shown to operators)."""
    if value.__class__ is str:
        known = _PARSED.get(value)
        if known is not None:
            return known
    when = _parse(value, element)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[value] = when  # type: ignore[index]
    return when


def _parse(value: object, element: str) -> When:
    if not isinstance(value, str):
        raise DateError(f"{element} is not a string")
    if len(value) > 10:
        return _parse_datetime(value, element)
    match = _DATE.match(value)
    if not match:
        raise DateError(f"{element} is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        parsed = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise DateError(f"{element} is not a calendar date (month or day out of range)") from exc
    precision = 3 if day else (2 if month else 1)
    return When(parsed.isoformat(), None, precision < 3, precision)


def _parse_datetime(value: str, element: str) -> When:
    match = _DATETIME.match(value)
    if not match:
        raise DateError(f"{element} is not a FHIR dateTime")
    if match.group(1) is None:
        raise DateError(f"{element} has a time but no time zone")
    try:
        parsed = dt.datetime.fromisoformat(value)  # validates the calendar (PostgreSQL must
    except ValueError as exc:  # never see an impossible date: it would fail the whole COPY)
        raise DateError(f"{element} is not a valid dateTime (impossible date or time)") from exc
    return When(None, value, False, 4, parsed)


def later_or_equal(end: When | None, start: When) -> bool:
    """End ≥ start, comparing instants when both have one, else UTC dates."""
    if end is None:
        return True
    if end.instant is not None and start.instant is not None:
        return end.instant >= start.instant
    return end.utc_date() >= start.utc_date()
