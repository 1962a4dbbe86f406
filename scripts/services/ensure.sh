#!/usr/bin/env bash
# ensure.sh [redis] [kafka] [runtimes] [chromium]   (all when none is named)
# Makes sure the named services and tools the tests use are there: installs what is missing (Kafka's
# jars, Gson and the Java launcher, the Go build cache as any user; redis-server and chromium with
# apt, which needs root) and does nothing when all is there. Run by
# the integration tests' Jest globalSetup before any test file, so `npm test` needs nothing started
# or installed by hand. A service given by REDIS_URL / KAFKA_BROKERS is the user's: nothing is
# installed for it. Exits non-zero with one message saying what to run when it cannot install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
services=("$@")
if [[ ${#services[@]} -eq 0 ]]; then services=(redis kafka runtimes chromium); fi

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
    runtimes)
      # Python, Java and Go actions of the local platform (Gson from Maven Central, the Go build cache).
      bash "$here/install-runtimes.sh" >/dev/null
      ;;
    chromium)
      # The dashboard's browser tests (playwright-core drives Debian's chromium; nothing downloads a browser).
      [[ -n "${WHISKFLOW_CHROMIUM:-}" ]] && continue
      if ! command -v chromium >/dev/null 2>&1; then
        if [[ "$(id -u)" != "0" ]]; then
          echo "chromium is missing, and installing it (apt) needs root. Run once: sudo bash scripts/services/install-chromium.sh   (or set WHISKFLOW_CHROMIUM to a Chromium you have)" >&2
          exit 1
        fi
        echo "ensure: installing chromium (apt)" >&2
        bash "$here/install-chromium.sh" >&2
      fi
      ;;
    *)
      echo "ensure: unknown service '$service' (redis, kafka, runtimes, chromium)" >&2
      exit 2
      ;;
  esac
done
