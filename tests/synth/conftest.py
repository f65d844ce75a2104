"""Shared synthetic exports: generated once per session into a temporary directory."""

from __future__ import annotations

import pytest

from rwe.synth import IncrementConfig, MessConfig, SynthOptions, SynthResult, synthesize

# High rates so that a small cohort shows every kind of mess many times.
HEAVY_MESS = MessConfig(
    unit_rate=0.3,
    percent_rate=0.2,
    absent_rate=0.1,
    error_rate=0.08,
    cancel_rate=0.08,
    duplicate_rate=0.08,
    partial_birth_rate=0.5,
    tz_rate=0.6,
)


@pytest.fixture(scope="session")
def messy_export(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """50 dtc-2021 patients, heavy mess, bundles, and a 90-day increment."""
    root = tmp_path_factory.mktemp("messy")
    options = SynthOptions(
        preset="dtc-2021",
        patients=50,
        seed=11,
        bundles=True,
        mess=HEAVY_MESS,
        increment_dir=root / "increment",
        increment=IncrementConfig(days=90, update_rate=0.1, delete_rate=0.05),
    )
    return synthesize(root / "export", options)


@pytest.fixture(scope="session")
def messy_trial_export(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """40 mtc-atc-2017 patients, heavy mess, gzip, and a 30-day increment."""
    root = tmp_path_factory.mktemp("messy-trial")
    options = SynthOptions(
        preset="mtc-atc-2017",
        patients=40,
        seed=5,
        gzip=True,
        mess=HEAVY_MESS,
        increment_dir=root / "increment",
        increment=IncrementConfig(days=30, update_rate=0.1, delete_rate=0.05),
    )
    return synthesize(root / "export", options)
