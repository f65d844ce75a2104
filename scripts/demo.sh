#!/usr/bin/env bash
# `make demo`: the main job end to end on the embedded PostgreSQL server:
# a synthetic dtc-2021 cohort (paper 004) → rwe etl → derive → quality gates → study report.
set -euo pipefail
cd "$(dirname "$0")/.."
RWE=.venv/bin/rwe
OUT=${RWE_DEMO_DIR:-demo-out}
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*" >&2; }

step "rwe db init (OMOP CDM v5.4 schema + seed vocabulary; idempotent)"
$RWE db init
step "rwe synth: a synthetic dtc-2021 cohort as a FHIR bulk export, with its truth"
$RWE synth "$OUT/export" --preset dtc-2021 --seed 1 --overwrite
step "rwe etl: load it, derive eras and study tables, run the quality gates"
$RWE etl "$OUT/export"
step "rwe etl again: unchanged input changes nothing"
$RWE etl "$OUT/export" --no-gates | tail -n 1
step "rwe analyze sorafenib: Tables I-III, efficacy, Kaplan-Meier figures"
$RWE analyze sorafenib --out "$OUT/report"
step "rwe status"
$RWE status
printf '\nThe study report is %s/report/report.html (also report.md, results.json, CSVs, figures/).\n' "$OUT"
