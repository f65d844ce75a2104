#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 server (Debian's postgresql-15 packages):
#   scripts/with_pg15.sh .venv/bin/pytest tests/db
# The command sees RWE_DATABASE_URL pointing at the server's `postgres` database.
# Exits 0 without running anything when PostgreSQL 15 is not installed.
set -euo pipefail
BIN=${PG15_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$BIN/postgres" ]; then
  echo "PostgreSQL 15 is not installed in $BIN; skipping: $*" >&2
  exit 0
fi
DIR=$(mktemp -d /tmp/rwe-pg15.XXXXXX)
PORT=${PG15_PORT:-54315}
RUN=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run the server as the `postgres` system user.
  chown postgres "$DIR"
  RUN=(runuser -u postgres --)
fi
cleanup() { "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=''" start >/dev/null
export RWE_DATABASE_URL="postgresql://postgres@/postgres?host=$DIR&port=$PORT"
"$@"
