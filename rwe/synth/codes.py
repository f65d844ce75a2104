"""Code systems and codes `rwe synth` writes (from rwe/omop_mappings' seed and local concepts)."""

from __future__ import annotations

from typing import Any

from rwe.omop_mappings import STUDY_CODE_SYSTEM

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
STUDY = STUDY_CODE_SYSTEM
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
OMB_RACE_ETHNICITY = "urn:oid:2.16.840.1.113883.6.238"
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
CTCAE_GRADE_EXTENSION = "urn:rwe:extension:ctcae-grade"

# Sorafenib ingredient (OMOP 1363387); the route is oral (SNOMED 26643006).
SORAFENIB_RXNORM = "495881"
ORAL_ROUTE_SNOMED = "26643006"

# Histology key -> (SNOMED code, display); all verified in seed_concept.csv.
HISTOLOGY: dict[str, tuple[str, str]] = {
    "papillary": ("255029007", "Papillary thyroid carcinoma"),
    "follicular": ("255028004", "Follicular thyroid carcinoma"),
    "poorly-differentiated": (
        "724552002",
        "Primary poorly differentiated carcinoma of thyroid gland",
    ),
    "medullary": ("255032005", "Medullary thyroid carcinoma"),
    "anaplastic": ("255031003", "Anaplastic thyroid carcinoma"),
}

# Baseline characteristic -> (system, code, display).
CHARACTERISTIC: dict[str, tuple[str, str, str]] = {
    "bone": (SNOMED, "424887002", "Thyroid cancer metastatic to bone"),
    "lung": (STUDY, "metastasis-lung", "Thyroid cancer metastatic to lung"),
    "lymph-node": (STUDY, "metastasis-lymph-node", "Thyroid cancer metastatic to lymph node"),
    "locally-advanced": (STUDY, "locally-advanced", "Locally advanced thyroid cancer"),
    "recurrence": (STUDY, "recurrence", "Recurrent thyroid cancer"),
    "symptomatic": (STUDY, "symptomatic", "Subjective symptoms of thyroid cancer"),
}

# Adverse-event term -> (system, code, display): SNOMED where seed_concept.csv verifies one,
# else rwe's local study code (local_concept.csv).
ADVERSE_EVENT: dict[str, tuple[str, str, str]] = {
    "hand-foot-skin-reaction": (STUDY, "hand-foot-skin-reaction", "Hand-foot skin reaction"),
    "hypertension": (SNOMED, "38341003", "Hypertensive disorder"),
    "alopecia": (STUDY, "alopecia", "Alopecia"),
    "rash": (SNOMED, "271807003", "Eruption"),
    "anorexia": (SNOMED, "79890006", "Loss of appetite"),
    "diarrhea": (SNOMED, "62315008", "Diarrhea"),
    "fatigue": (SNOMED, "84229001", "Fatigue"),
    "hypothyroidism": (SNOMED, "40930008", "Hypothyroidism"),
    "proteinuria": (SNOMED, "29738008", "Proteinuria"),
    "weight-loss": (SNOMED, "89362005", "Weight loss"),
    "interstitial-pneumonia": (SNOMED, "64667001", "Interstitial pneumonia"),
    "gi-hemorrhage": (SNOMED, "74474003", "Gastrointestinal hemorrhage"),
    "keratoacanthoma": (STUDY, "keratoacanthoma", "Keratoacanthoma"),
}

# CBC analytes in draw order: key -> (LOINC absolute count, display, LOINC percent or "").
ANALYTES: tuple[tuple[str, str, str, str], ...] = (
    ("wbc", "6690-2", "Leukocytes [#/volume] in Blood by Automated count", ""),
    ("lym", "731-0", "Lymphocytes [#/volume] in Blood by Automated count", "736-9"),
    ("neu", "751-8", "Neutrophils [#/volume] in Blood by Automated count", "770-8"),
    ("mon", "742-7", "Monocytes [#/volume] in Blood by Automated count", "5905-5"),
    ("plt", "777-3", "Platelets [#/volume] in Blood by Automated count", ""),
)
PERCENT_DISPLAY = {
    "736-9": "Lymphocytes/100 leukocytes in Blood by Automated count",
    "770-8": "Neutrophils/100 leukocytes in Blood by Automated count",
    "5905-5": "Monocytes/100 leukocytes in Blood by Automated count",
}
ECOG_LOINC = ("89247-1", "ECOG Performance Status score")
RECIST_LOINC = ("88040-1", "Response to cancer treatment")
ANTI_TG_LOINC = ("8098-6", "Thyroglobulin Ab [Units/volume] in Serum or Plasma")
SLD_STUDY_CODE = ("recist-sld", "Sum of diameters of target lesions")
RESPONSE_DISPLAY = {
    "CR": "Complete response (RECIST)",
    "PR": "Partial response (RECIST)",
    "SD": "Stable disease (RECIST)",
    "PD": "Progressive disease (RECIST)",
    "NE": "Not evaluable (RECIST)",
}
# Stop reasons of the last MedicationStatement of a discontinued episode (urn:rwe:study codes).
STOP_REASON_DISPLAY = {
    "progression": "Disease progression",
    "adverse-event": "Adverse event",
    "decision": "Patient or physician decision",
    "death": "Death",
    "other": "Other reason",
}
# Cell-count units: the canonical one first; the value in cells/uL is divided by the factor.
COUNT_UNITS: tuple[tuple[str, int], ...] = (("10*3/uL", 1000), ("10*9/L", 1000), ("/uL", 1))
# OMB race categories (US Core race extension).
RACE: dict[str, tuple[str, str]] = {
    "asian": ("2028-9", "Asian"),
    "white": ("2106-3", "White"),
    "black": ("2054-5", "Black or African American"),
}
NOT_HISPANIC = ("2186-5", "Not Hispanic or Latino")


def coding(system: str, code: str, display: str) -> dict[str, Any]:
    """A FHIR Coding dict."""
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str) -> dict[str, Any]:
    """A FHIR CodeableConcept dict with one coding."""
    return {"coding": [coding(system, code, display)]}
