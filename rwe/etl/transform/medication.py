"""Medication → rwe.medication (the drug concept of MedicationRequest/Statement/Administration
that reference it); no OMOP row of its own."""

from __future__ import annotations

from typing import Any

from rwe.etl.transform.common import Context, Result, pick_code


def transform_medication(resource: dict[str, Any], ctx: Context) -> Result:
    """One Medication → its concept (pure)."""
    concept, _s, _c, source = pick_code(resource.get("code"), "Medication.code", ctx)
    return Result(medication=(concept.concept_id, concept.source_concept_id, source))
