#!/bin/sh
# Run `rwe nightly` once a day at RWE_NIGHTLY_AT (HH:MM, UTC, default 02:15), forever.
# For hospitals that deploy with compose instead of cron or a systemd timer.
set -u
AT=${RWE_NIGHTLY_AT:-02:15}
while true; do
  now=$(date -u +%s)
  next=$(date -u -d "today $AT" +%s)
  [ "$next" -le "$now" ] && next=$(date -u -d "tomorrow $AT" +%s)
  echo "rwe-nightly-loop: next run at $(date -u -d "@$next" '+%Y-%m-%d %H:%M UTC')" >&2
  sleep $((next - now))
  rwe nightly --config "${RWE_CONFIG:-/etc/rwe/rwe.toml}" --json-log
  echo "rwe-nightly-loop: rwe nightly exited with $?" >&2
done
