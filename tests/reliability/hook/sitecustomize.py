"""Test-only: tests/reliability puts this folder on PYTHONPATH so that `python -m rwe etl`
installs the step hook of steps.py when RWE_TEST_STEP_AT or RWE_TEST_STEP_TRACE is set."""

import os

if any(os.environ.get(f"RWE_TEST_STEP_{v}") for v in ("AT", "AT_LABEL", "TRACE")):
    import steps

    steps.install_from_environment()
