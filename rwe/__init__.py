"""rwe: FHIR R4 → OMOP CDM v5.4 real-world-evidence platform."""

__version__ = "0.1.0"
CDM_VERSION = "v5.4"
FHIR_VERSION = "4.0.1"
