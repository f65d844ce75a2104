"""Test-only: tests/reliability puts this folder on PYTHONPATH so that `python -m rwe etl`
installs the step hook of steps.py when RWE_TEST_STEP_AT or RWE_TEST_STEP_TRACE is set."""

import os

if os.environ.get("RWE_TEST_STEP_AT") or os.environ.get("RWE_TEST_STEP_TRACE"):
    import steps

    steps.install_from_environment()
