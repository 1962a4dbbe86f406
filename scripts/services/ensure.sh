#!/usr/bin/env bash
# ensure.sh [redis] [kafka]   (both when none is named)
# Makes sure the named services can be started by the tests: installs what is missing (Kafka's jars
# as any user; redis-server with apt, which needs root) and does nothing when all is there. Run by
# the integration tests' Jest globalSetup before any test file, so `npm test` needs nothing started
# or installed by hand. A service given by REDIS_URL / KAFKA_BROKERS is the user's: nothing is
# installed for it. Exits non-zero with one message saying what to run when it cannot install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
services=("$@")
if [[ ${#services[@]} -eq 0 ]]; then services=(redis kafka); fi

# Two test runs on one machine (or checkouts sharing .tools) must not install at once:
# install-kafka.sh replaces the jar directory, apt takes its own lock and fails on it.
exec 9>"${TMPDIR:-/tmp}/whiskflow-services-$(id -u).lock"
flock 9

for service in "${services[@]}"; do
  case "$service" in
    redis)
      [[ -n "${REDIS_URL:-}" ]] && continue
      if ! command -v redis-server >/dev/null 2>&1; then
        if [[ "$(id -u)" != "0" ]]; then
          echo "redis-server is missing, and installing it (apt) needs root. Run once: sudo bash scripts/services/install-redis.sh   (or: sudo apt-get install -y redis-server; or set REDIS_URL=redis://host:port to use a Redis you run)" >&2
          exit 1
        fi
        echo "ensure: installing redis-server (apt)" >&2
        bash "$here/install-redis.sh" >&2
      fi
      ;;
    kafka)
      [[ -n "${KAFKA_BROKERS:-}" ]] && continue
      bash "$here/install-kafka.sh" >&2
      ;;
    *)
      echo "ensure: unknown service '$service' (redis, kafka)" >&2
      exit 2
      ;;
  esac
done
