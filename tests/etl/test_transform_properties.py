"""Hypothesis properties of the transforms: every input is loaded, rejected or excluded (never a
crash), and every row has end ≥ start (§f2o-012, §f2o-070)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwe.etl import rows as R
from rwe.etl.mappings import load_mappings
from rwe.etl.transform import TRANSFORMS, Context, RejectError
from rwe.etl.vocabulary import memory_vocabulary
from tests.etl.conftest import CONCEPTS, UNITS

JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
DATES = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)).map(str),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2030, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
    ),
    st.sampled_from(["1974", "1974-12", "2021-02-30", "2014-10-09T14:58:00", "garbage"]),
    JUNK,
)
CODES = st.one_of(
    st.fixed_dictionaries(
        {
            "coding": st.lists(
                st.fixed_dictionaries(
                    {
                        "system": st.sampled_from(
                            [
                                "http://loinc.org",
                                "http://snomed.info/sct",
                                "http://www.nlm.nih.gov/research/umls/rxnorm",
                                "urn:x",
                            ]
                        ),
                        "code": st.sampled_from(
                            ["6690-2", "777-3", "38341003", "89362005", "495881", "z"]
                        ),
                    }
                ),
                max_size=3,
            )
        }
    ),
    JUNK,
)
QUANTITY = st.one_of(
    st.fixed_dictionaries(
        {
            "value": st.one_of(st.floats(allow_nan=False, allow_infinity=False), JUNK),
            "system": st.just("http://unitsofmeasure.org"),
            "code": st.sampled_from(["10*3/uL", "%", "(score)", "mg", "mmHg"]),
        }
    ),
    JUNK,
)
PERIOD = st.fixed_dictionaries({}, optional={"start": DATES, "end": DATES})


def resources() -> st.SearchStrategy[dict[str, Any]]:
    common = {
        "id": st.just("r1"),
        "status": st.sampled_from(
            [
                "final",
                "cancelled",
                "active",
                "stopped",
                "completed",
                "finished",
                "not-taken",
                "entered-in-error",
            ]
        ),
        "subject": st.one_of(st.just({"reference": "Patient/p1"}), JUNK),
    }
    optional = {
        "code": CODES,
        "valueQuantity": QUANTITY,
        "valueInteger": JUNK,
        "effectiveDateTime": DATES,
        "effectivePeriod": PERIOD,
        "onsetDateTime": DATES,
        "abatementDateTime": DATES,
        "period": PERIOD,
        "performedPeriod": PERIOD,
        "authoredOn": DATES,
        "medicationCodeableConcept": CODES,
        "birthDate": DATES,
        "deceasedDateTime": DATES,
        "gender": JUNK,
        "class": JUNK,
        "component": JUNK,
        "dosage": JUNK,
        "dosageInstruction": JUNK,
        "extension": JUNK,
        "category": JUNK,
        "intent": JUNK,
    }
    return st.tuples(
        st.sampled_from(sorted(TRANSFORMS)),
        st.fixed_dictionaries(common, optional=optional),
    ).map(lambda pair: {"resourceType": pair[0], **pair[1]})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources())
def test_every_input_is_loaded_rejected_or_excluded(resource: dict[str, Any]) -> None:
    mappings = load_mappings()
    ctx = Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
    try:
        result = TRANSFORMS[resource["resourceType"]](resource, ctx)
    except RejectError as exc:
        assert exc.message  # a reason naming what is wrong
        return
    if result.excluded:
        assert not result.rows
        return
    assert result.rows or result.person or result.medication
    for row in result.rows:
        start = row[R.START_DATETIME] or row[R.START_DATE]
        assert start is not None  # §f2o-070: every record has its date
        if row[R.END_DATE] or row[R.END_DATETIME]:
            assert _instant(row, R.END_DATETIME, R.END_DATE) >= _instant(
                row, R.START_DATETIME, R.START_DATE
            )


def _instant(row: list[Any], dt_col: int, date_col: int) -> dt.datetime:
    if row[dt_col]:
        return dt.datetime.fromisoformat(row[dt_col]).astimezone(dt.UTC)
    return dt.datetime.fromisoformat(row[date_col]).replace(tzinfo=dt.UTC)


def test_patient_extension_that_is_not_an_array_is_rejected() -> None:
    """Found by hypothesis: `extension: 1` crashed the race/ethnicity lookup."""
    mappings = load_mappings()
    ctx = Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1974", "extension": 1}
    with pytest.raises(RejectError) as err:
        TRANSFORMS["Patient"](patient, ctx)
    assert err.value.message == "Patient.extension must be an array"
