"""Fixtures of the derive tests: a CDM row writer on the per-test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rwe.db.connection import Database
from tests.derive.rows import Cdm


@pytest.fixture
def cdm(database: Database) -> Iterator[Cdm]:
    writer = Cdm(database)
    yield writer
    writer.close()
