#!/usr/bin/env bash
# Installs a real Apache Kafka broker (jars only) into .tools/kafka/libs, resolved from Maven Central
# through kafka/pom.xml. Idempotent: a stamp holding the pom's checksum skips the work when the jars
# already match the pom. Needs java (17+) and mvn on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pom="$root/scripts/services/kafka/pom.xml"
libs="$root/.tools/kafka/libs"
stamp="$root/.tools/kafka/installed.sha256"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-kafka: '$tool' is missing; install it (Debian: apt-get install -y openjdk-17-jre-headless maven)" >&2
    exit 1
  fi
done

wanted="$(sha256sum "$pom" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  exit 0
fi

rm -rf "$libs"
mkdir -p "$libs"
# -q keeps CI logs short; Maven still prints errors. Runtime scope is all the broker needs.
mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
echo "$wanted" > "$stamp"
echo "install-kafka: $(ls "$libs" | grep -c '\.jar$') jars in $libs"
