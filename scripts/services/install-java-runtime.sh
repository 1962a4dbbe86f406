#!/usr/bin/env bash
# Prepares the local platform's Java runtime (kinds java:*): fetches Gson from Maven Central (the
# library OpenWhisk's Java runtime gives actions) into .tools/java and compiles whiskflow's Java
# launcher (lib/platform/runtime/java/WhiskflowLauncher.java) against it. Without a JDK it does nothing:
# the platform then refuses java kinds and lists only the kinds that run.
set -euo pipefail

GSON_VERSION="${GSON_VERSION:-2.10.1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/.tools/java"
jar="$out/gson-$GSON_VERSION.jar"

if ! command -v javac >/dev/null 2>&1; then
  echo "install-java-runtime: no JDK (javac) on the PATH; java kinds stay unavailable" >&2
  exit 0
fi
mkdir -p "$out"
if [[ ! -f "$jar" ]]; then
  if ! command -v mvn >/dev/null 2>&1; then
    echo "install-java-runtime: Maven (mvn) is needed to fetch Gson $GSON_VERSION" >&2
    exit 1
  fi
  mvn -q dependency:copy -Dartifact="com.google.code.gson:gson:$GSON_VERSION" -DoutputDirectory="$out" -Dmdep.overWriteIfNewer=true
fi
ln -sf "gson-$GSON_VERSION.jar" "$out/gson.jar"
source="$root/lib/platform/runtime/java/WhiskflowLauncher.java"
if [[ -f "$out/launcher/WhiskflowLauncher.class" && "$out/launcher/WhiskflowLauncher.class" -nt "$source" ]]; then
  echo "install-java-runtime: Gson $GSON_VERSION and the launcher in $out (up to date)"
  exit 0
fi
rm -rf "$out/launcher"
javac -nowarn --release 11 -cp "$jar" -d "$out/launcher" "$source"
echo "install-java-runtime: Gson $GSON_VERSION and the launcher in $out"
