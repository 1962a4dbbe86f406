#!/usr/bin/env bash
# start-redis.sh <port> <dir>
# Starts redis-server on 127.0.0.1:<port> with its append-only file, log and pid file in <dir>.
# Calling it again with the same <dir> after stop-redis.sh restarts it with its data.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: start-redis.sh <port> <dir>" >&2
  exit 2
fi
port="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
pidfile="$dir/redis.pid"
if ! command -v redis-server >/dev/null 2>&1; then
  echo "start-redis: redis-server is missing; run scripts/services/install-redis.sh (or apt-get install -y redis-server)" >&2
  exit 1
fi

# appendfsync always: each acknowledged write is on disk, so a killed server loses nothing the
# tests were told was written (the engine's checkpoints rely on that).
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync always \
  --save '' --daemonize yes --pidfile "$pidfile" --logfile "$dir/redis.log"

deadline=$((SECONDS + ${REDIS_START_TIMEOUT_S:-20}))
until [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]; do
  if (( SECONDS >= deadline )); then
    echo "start-redis: no answer on port $port, see $dir/redis.log" >&2
    tail -20 "$dir/redis.log" >&2 || true
    exit 1
  fi
  sleep 0.1
done
if [[ -n "${WHISKFLOW_OWNER_PID:-}" ]]; then
  # Detached from this script's output, so callers waiting for it to finish are not held.
  nohup "$(dirname "${BASH_SOURCE[0]}")/watch-owner.sh" "$WHISKFLOW_OWNER_PID" "$(cat "$pidfile")" >/dev/null 2>&1 </dev/null &
fi
echo "start-redis: 127.0.0.1:$port (pid $(cat "$pidfile"), dir $dir)"
