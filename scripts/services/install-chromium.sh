#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (driven by playwright-core, which
# downloads no browser). Does nothing when it is there already.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "install-chromium: chromium is missing; run as root or: sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "install-chromium: $(chromium --version)"
