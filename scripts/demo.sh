#!/usr/bin/env bash
# `make demo`: the main job end to end on the embedded PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
RWE=.venv/bin/rwe
OUT=${RWE_DEMO_DIR:-demo-out}
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*" >&2; }

step "rwe db init (schema + seed vocabulary; idempotent)"
$RWE db init
step "rwe db status"
$RWE db status
