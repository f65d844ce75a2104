"""The protocol's public vocabulary, mirrored from the site SQL (rwe/sql/federation)."""

from __future__ import annotations

from functools import cache

from rwe.derive.params import load_study_config

ENDPOINTS = ("ttf", "pfs", "os")
# Fixed levels per grouping variable (federated.variable_levels): every site answers on all.
VARIABLE_LEVELS: dict[str, tuple[str, ...]] = {
    "all": ("all",),
    "alc": ("high", "low"),
    "nlr": ("high", "low"),
    "plr": ("high", "low"),
    "lmr": ("high", "low"),
    "sex": ("female", "male"),
    "histology": ("DTC", "MTC", "ATC"),
    "orr": ("yes", "no"),
    "dcr": ("yes", "no"),
    "cbr": ("yes", "no"),
}
MARKERS = ("alc", "nlr", "plr", "lmr")
# Cox covariates (federated.covariate_value) and how the report names them.
COVARIATE_TERMS = {
    "alc_high": "ALC high (>= 1500/uL)",
    "nlr_high": "NLR high (>= 3)",
    "plr_high": "PLR high (>= 150)",
    "lmr_high": "LMR high (>= 4)",
    "age": "Age (years)",
    "male": "Sex: male",
}
# An agreed public day grid 0..MAX_DAY (ten years) unless the network agrees another.
DEFAULT_MAX_DAY = 3653

# Concept sets whose labels are Table III's adverse-event terms (federated.ae_terms).
AE_CONCEPT_SETS = ("adverse_event", "adverse_event_observation")


@cache
def ae_terms() -> tuple[str, ...]:
    """The public adverse-event terms, in the study configuration's order (site-setup writes
    them into federated.ae_terms; every site answers on all of them)."""
    rows = load_study_config().concept_sets
    return tuple(dict.fromkeys(r.label for r in rows if r.set_name in AE_CONCEPT_SETS))
