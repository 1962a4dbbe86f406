#!/usr/bin/env bash
# stop-redis.sh <dir> [--kill]
# Stops the redis-server started by start-redis.sh with the same <dir> (SIGTERM lets it flush its
# append-only file; --kill simulates a crash).
set -euo pipefail
dir="${1:?usage: stop-redis.sh <dir> [--kill]}"
exec "$(dirname "${BASH_SOURCE[0]}")/stop-pid.sh" "$dir/redis.pid" "${REDIS_STOP_TIMEOUT_S:-20}" "${2:-}"
