"""Fixtures for the transform tests: a small in-memory vocabulary (no database)."""

from __future__ import annotations

import pytest

from rwe.etl.mappings import load_mappings
from rwe.etl.transform import Context
from rwe.etl.vocabulary import memory_vocabulary

CONCEPTS = [
    # (vocabulary_id, code, standard concept, source concept, domain)
    ("LOINC", "6690-2", 3000905, 3000905, "Measurement"),
    ("LOINC", "777-3", 3024929, 3024929, "Measurement"),
    ("LOINC", "736-9", 3037511, 3037511, "Measurement"),
    ("LOINC", "89247-1", 2000000001, 0, "Measurement"),
    ("LOINC", "88040-1", 2000000002, 0, "Measurement"),
    ("rwe", "CR", 2000000020, 2000000020, "Meas Value"),
    ("rwe", "PD", 2000000023, 2000000023, "Meas Value"),
    ("SNOMED", "38341003", 316866, 316866, "Condition"),
    ("SNOMED", "89362005", 4229881, 4229881, "Observation"),
    ("ICD10CM", "I10", 316866, 45591453, "Condition"),
    ("RxNorm", "495881", 1363387, 1363387, "Drug"),
]
UNITS = {"10*3/uL": 8848, "10*9/L": 9444, "%": 8554, "/uL": 8647}


@pytest.fixture
def ctx() -> Context:
    mappings = load_mappings()
    return Context(vocabulary=memory_vocabulary(mappings, CONCEPTS, UNITS), mappings=mappings)
