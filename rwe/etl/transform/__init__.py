"""One pure transform per FHIR resource type: `resource dict → OMOP rows` (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rwe.etl.transform.common import Context, RejectError, Result
from rwe.etl.transform.condition import transform_condition
from rwe.etl.transform.encounter import transform_encounter
from rwe.etl.transform.medication import transform_medication
from rwe.etl.transform.medication_administration import transform_medication_administration
from rwe.etl.transform.medication_request import transform_medication_request
from rwe.etl.transform.medication_statement import transform_medication_statement
from rwe.etl.transform.observation import transform_observation
from rwe.etl.transform.patient import transform_patient
from rwe.etl.transform.procedure import transform_procedure

Transform = Callable[[dict[str, Any], Context], Result]

# The resource types rwe loads (§f2o-010); any other type is read and excluded, counted.
TRANSFORMS: dict[str, Transform] = {
    "Patient": transform_patient,
    "Observation": transform_observation,
    "Condition": transform_condition,
    "Encounter": transform_encounter,
    "Procedure": transform_procedure,
    "Medication": transform_medication,
    "MedicationRequest": transform_medication_request,
    "MedicationStatement": transform_medication_statement,
    "MedicationAdministration": transform_medication_administration,
}

__all__ = ["TRANSFORMS", "Context", "RejectError", "Result", "Transform"]
