# rwe: `make test` sets up .venv and runs everything CI runs; `make demo` runs the main job.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest pytest-pg15 demo clean venv fixtures-r

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

# The database-touching tests again on PostgreSQL 15 when Debian's server packages are
# installed (CI's machine).
PG15_TESTS ?= tests/db tests/etl tests/derive tests/quality tests/integration
pytest-pg15: venv
	bash scripts/with_pg15.sh $(BIN)/pytest -q $(PG15_TESTS)

test: lint typecheck pytest pytest-pg15

demo: venv
	bash scripts/demo.sh

# Reference fixtures from R's survival package (needs r-base-core and r-cran-survival).
fixtures-r:
	Rscript tests/analytics/fixtures/make_fixtures.R tests/analytics/fixtures

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
