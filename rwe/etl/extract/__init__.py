"""Readers that stream FHIR input as batches: NDJSON lines, Bundle entries, deletions."""

from __future__ import annotations

from rwe.etl.extract.batch import Batch, Deletion, Entry, InputError
from rwe.etl.extract.discover import discover

__all__ = ["Batch", "Deletion", "Entry", "InputError", "discover"]
