"""SQL derivations after the load: OHDSI eras and the sorafenib study tables (`rwe derive`)."""

from rwe.derive.params import DeriveParams, StudyConfig, load_study_config
from rwe.derive.runner import DeriveSummary, derive_all, refresh

__all__ = [
    "DeriveParams",
    "DeriveSummary",
    "StudyConfig",
    "derive_all",
    "load_study_config",
    "refresh",
]
