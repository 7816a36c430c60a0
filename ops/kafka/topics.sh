#!/usr/bin/env bash
# topics.sh BOOTSTRAP [PARTITIONS=12] [REPLICATION=1]
# Creates salonq.commands and salonq.events (same partition count) and salonq.snapshots
# (cleanup.policy=compact, same partition count), idempotently; salonq.events is kept forever (retention.ms=-1). Existing topics are accepted when
# their partition count equals PARTITIONS; exits non-zero with a message otherwise, and always
# when salonq.commands and salonq.events differ. Creation uses org.apache.kafka.tools.TopicCommand
# (kafka-tools jar installed by install.sh); existence/partition checks use kcat metadata.
set -euo pipefail

[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: topics.sh BOOTSTRAP [PARTITIONS=12] [REPLICATION=1]" >&2; exit 2; }
bootstrap="$1" partitions="${2:-12}" replication="${3:-1}"
[[ "$partitions" =~ ^[1-9][0-9]*$ ]] || { echo "topics.sh: bad partition count '$partitions'" >&2; exit 2; }
[[ "$replication" =~ ^[1-9][0-9]*$ ]] || { echo "topics.sh: bad replication factor '$replication'" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kafka_home="${SALONQ_KAFKA_HOME:-$HOME/.cache/salonq/kafka-3.9.1}"
"$here/install.sh"

topics=(salonq.commands salonq.events salonq.snapshots)

# Partition count of a topic per kcat metadata, or 0 when it does not exist.
partition_count() {
  local out
  out="$(kcat -b "$bootstrap" -L -t "$1" -m 5 2>&1)" || { echo "topics.sh: cannot reach $bootstrap: $out" >&2; exit 1; }
  if grep -q "^  topic \"$1\" with [0-9]* partitions:" <<<"$out"; then
    sed -n "s/^  topic \"$1\" with \([0-9]*\) partitions:.*/\1/p" <<<"$out"
  else
    echo 0
  fi
}

create() { # TOPIC [extra TopicCommand args]
  local t="$1" out; shift
  if ! out="$(java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$here/tools-log4j.properties" \
      -cp "$kafka_home/libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
      --create --if-not-exists --topic "$t" --partitions "$partitions" \
      --replication-factor "$replication" "$@" 2>&1)"; then
    echo "topics.sh: creating $t failed: $out" >&2
    return 1
  fi
}

pids=()
for t in "${topics[@]}"; do
  if [ "$(partition_count "$t")" = 0 ]; then
    if [ "$t" = salonq.snapshots ]; then
      create "$t" --config cleanup.policy=compact & pids+=($!)
    elif [ "$t" = salonq.events ]; then
      create "$t" --config retention.ms=-1 & pids+=($!) # the record: kept forever, as `salonq topics create` does
    else
      create "$t" & pids+=($!)
    fi
  fi
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ "$rc" = 0 ] || exit 1

# Verify (metadata can lag creation by a moment).
declare -A count
deadline=$((SECONDS + 30))
for t in "${topics[@]}"; do
  while :; do
    count[$t]="$(partition_count "$t")"
    [ "${count[$t]}" != 0 ] && break
    [ "$SECONDS" -lt "$deadline" ] || { echo "topics.sh: $t does not appear in metadata" >&2; exit 1; }
    sleep 0.2
  done
done
# Wait until every partition has a leader, so producers can use the topics as soon as we return.
for t in "${topics[@]}"; do
  while :; do
    out="$(kcat -b "$bootstrap" -L -t "$t" -m 5 2>/dev/null)" || out=""
    if grep -q "^  topic \"$t\" with" <<<"$out" && ! grep -q '^    partition.*\(leader -1\|, Broker: \|, Local: \)' <<<"$out"; then
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "topics.sh: $t partitions have no leader after 30 s" >&2; exit 1; }
    sleep 0.2
  done
done
if [ "${count[salonq.commands]}" != "${count[salonq.events]}" ]; then
  echo "topics.sh: salonq.commands has ${count[salonq.commands]} partitions but salonq.events has ${count[salonq.events]}; they must match" >&2
  exit 1
fi
for t in "${topics[@]}"; do
  if [ "${count[$t]}" != "$partitions" ]; then
    echo "topics.sh: $t exists with ${count[$t]} partitions, $partitions requested" >&2
    exit 1
  fi
done
