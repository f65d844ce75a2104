"""`rwe synth`: synthetic FHIR R4 sorafenib cohorts with a known ground truth."""

from __future__ import annotations

from rwe.synth.cohort import CohortConfig
from rwe.synth.export import SynthOptions, SynthResult, synthesize
from rwe.synth.increment import IncrementConfig
from rwe.synth.mess import MessConfig
from rwe.synth.presets import PRESETS, get_preset

__all__ = [
    "PRESETS",
    "CohortConfig",
    "IncrementConfig",
    "MessConfig",
    "SynthOptions",
    "SynthResult",
    "get_preset",
    "synthesize",
]
