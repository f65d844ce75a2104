# rwe: `make test` sets up .venv and runs everything CI runs; `make demo` runs the main job.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo clean venv fixtures-r

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check rwe tests benchmarks scripts
	$(BIN)/ruff format --check rwe tests benchmarks scripts

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest

test: lint typecheck pytest

demo: venv
	bash scripts/demo.sh

# Reference fixtures from R's survival package (needs r-base-core and r-cran-survival).
fixtures-r:
	Rscript tests/analytics/fixtures/make_fixtures.R tests/analytics/fixtures

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
