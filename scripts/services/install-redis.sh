#!/usr/bin/env bash
# Installs redis-server from Debian when it is missing. Does not start the system service: tests
# start their own servers with start-redis.sh on free ports.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "install-redis: redis-server is missing; run as root or: sudo apt-get install -y redis-server" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d answering 101 stops Debian's postinst from starting the system-wide redis on port 6379.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap 'if [[ $created_policy == 1 ]]; then rm -f "$policy"; fi' EXIT
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
echo "install-redis: $(redis-server --version)"
