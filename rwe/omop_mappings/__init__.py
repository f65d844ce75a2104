"""Mappings as data: seed vocabulary, rwe's local concepts, code-system URIs, FHIR value maps."""

from __future__ import annotations

from pathlib import Path

MAPPINGS_DIR = Path(__file__).parent
SEED_CONCEPT_CSV = MAPPINGS_DIR / "seed_concept.csv"
LOCAL_CONCEPT_CSV = MAPPINGS_DIR / "local_concept.csv"
SOURCE_TO_CONCEPT_MAP_CSV = MAPPINGS_DIR / "source_to_concept_map.csv"
CODE_SYSTEM_CSV = MAPPINGS_DIR / "code_system.csv"

# Local concepts use ids >= 2,000,000,000 (§f2o-039) in rwe's own vocabulary.
LOCAL_CONCEPT_MIN = 2_000_000_000
LOCAL_VOCABULARY_ID = "rwe"
# The FHIR code system of rwe's study codes (used by `rwe synth`, mapped by source_to_concept_map).
STUDY_CODE_SYSTEM = "urn:rwe:study"
