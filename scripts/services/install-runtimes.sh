#!/usr/bin/env bash
# Prepares the local platform's non-Node.js runtimes on this machine: the Java runtime (Gson and the
# launcher, install-java-runtime.sh) and the Go build cache, so that the first Go action does not
# compile the standard library inside its /init time limit. Python needs nothing beyond python3.
# A language whose toolchain is missing is left out (the platform then refuses its kinds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bash "$root/scripts/services/install-java-runtime.sh"

if command -v go >/dev/null 2>&1; then
  # The cache the platform's Go runtime uses (lib/platform/runtime/host-runtimes.ts: <tmpdir>/whiskflow-go-build-cache).
  cache="${TMPDIR:-/tmp}/whiskflow-go-build-cache"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  printf 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} { return args }\n' > "$work/exec__.go"
  cp "$root/lib/platform/runtime/go/launcher.go.tmpl" "$work/main__.go"
  (cd "$work" && GOCACHE="$cache" GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local go mod init exec >/dev/null 2>&1 \
    && GOCACHE="$cache" GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local go build -o exec -ldflags '-s -w')
  echo "install-runtimes: Go build cache ready in $cache ($(go env GOVERSION))"
else
  echo "install-runtimes: no Go on the PATH; go kinds stay unavailable" >&2
fi
if command -v python3 >/dev/null 2>&1; then
  echo "install-runtimes: $(python3 --version)"
else
  echo "install-runtimes: no python3 on the PATH; python kinds stay unavailable" >&2
fi
