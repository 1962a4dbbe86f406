#!/usr/bin/env bash
# stop-pid.sh <pidfile> <timeout-s> [--kill]
# Shared by stop-kafka.sh and stop-redis.sh: ends the one process named by <pidfile> and waits until
# it is gone, so that a restart on the same port and data dir cannot race the old process.
set -euo pipefail
pidfile="$1"
timeout_s="$2"
mode="${3:-}"

if [[ ! -f "$pidfile" ]]; then
  exit 0
fi
pid="$(cat "$pidfile")"
if ! kill -0 "$pid" 2>/dev/null; then
  rm -f "$pidfile"
  exit 0
fi
if [[ "$mode" == "--kill" ]]; then
  kill -KILL "$pid" 2>/dev/null || true
else
  kill -TERM "$pid" 2>/dev/null || true
fi
deadline=$((SECONDS + timeout_s))
while kill -0 "$pid" 2>/dev/null; do
  if (( SECONDS >= deadline )); then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  sleep 0.1
done
rm -f "$pidfile"
