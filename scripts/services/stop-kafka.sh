#!/usr/bin/env bash
# stop-kafka.sh <dir> [--kill]
# Stops the broker started by start-kafka.sh with the same <dir>: SIGTERM (controlled shutdown, logs
# flushed) and waits; SIGKILL after KAFKA_STOP_TIMEOUT_S or at once with --kill (a crash).
set -euo pipefail
dir="${1:?usage: stop-kafka.sh <dir> [--kill]}"
exec "$(dirname "${BASH_SOURCE[0]}")/stop-pid.sh" "$dir/kafka.pid" "${KAFKA_STOP_TIMEOUT_S:-30}" "${2:-}"
