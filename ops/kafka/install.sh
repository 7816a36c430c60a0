#!/usr/bin/env bash
# Installs what the real-broker tests need: a JRE, Maven, kcat (apt) and the Apache Kafka 3.9.1
# broker classpath (Maven Central) into ${SALONQ_KAFKA_HOME:-~/.cache/salonq/kafka-3.9.1}/libs.
# Idempotent; a second run only checks a marker file and prints nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kafka_home="${SALONQ_KAFKA_HOME:-$HOME/.cache/salonq/kafka-3.9.1}"
libs="$kafka_home/libs"
marker="$kafka_home/.installed"
# The marker records the pom's checksum: editing pom.xml triggers a reinstall.
stamp="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

apt_ok() {
  local p
  for p in default-jre-headless maven kcat; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
  done
}

# Fast path: everything already there.
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ] && apt_ok; then
  exit 0
fi

mkdir -p "$kafka_home"
# Serialise concurrent installs (parallel test runs).
exec 9>"$kafka_home/.install.lock"
flock 9
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ] && apt_ok; then
  exit 0
fi

apt_ok || "$here/../install-deps.sh" default-jre-headless maven kcat

echo "ops/kafka/install: fetching Apache Kafka 3.9.1 into $libs" >&2
tmp="$kafka_home/libs.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
if ! out="$(mvn -q -B -Dstyle.color=never -f "$here/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1)"; then
  echo "$out" >&2
  echo "ops/kafka/install: maven failed" >&2
  exit 1
fi
for j in kafka_2.13-3.9.1.jar kafka-tools-3.9.1.jar slf4j-reload4j-1.7.36.jar reload4j-1.2.25.jar; do
  [ -f "$tmp/$j" ] || { echo "ops/kafka/install: $j missing after maven" >&2; exit 1; }
done
rm -rf "$libs"
mv "$tmp" "$libs"
echo "$stamp" >"$marker"
echo "ops/kafka/install: done" >&2
