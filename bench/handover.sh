#!/usr/bin/env bash
# Hand-over of one partition holding 1,000 salons after its engine worker is killed (kill -9): a fresh broker,
# topics with one partition, a day of 1,000 salons (light load) through worker w1, then w1 is killed and w2,
# with no local state, takes over. Prints the failure detection time (the group session timeout), the time from
# w2's assignment to its first decided command (restore from the latest snapshot round + fold of what follows)
# and from the kill to the first new outcome visible read_committed.
# DAYS and LOAD size the history: the default is one day at light load (53,440 commands); `7 0.7` is a busy
# partition's whole 7-day dedupe window (~1.3M commandIds, all of which w2 must know).
#   bench/handover.sh [session-timeout-ms=6000] [days=1] [load=0.2]
set -euo pipefail
cd "$(dirname "$0")/.."
session=${1:-6000} days=${2:-1} load=${3:-0.2}
./ops/build.sh salonq >/dev/null
dir=$(mktemp -d)
cleanup() { pkill -9 -f "salonq --data $dir/" 2>/dev/null || true; ./ops/kafka/broker.sh kill "$dir/kafka" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
bs=$(./ops/kafka/broker.sh start "$dir/kafka")
./build/salonq topics create --brokers "$bs" --partitions 1 >/dev/null
./build/salonq simulate --salons 1000 --days "$days" --load "$load" --seed 4 --quiet --emit "$dir/cmds.jsonl" >/dev/null
awk '{match($0, /"salonId":"[^"]*"/); s=substr($0, RSTART+11, RLENGTH-12); print s "\t" $0}' "$dir/cmds.jsonl" > "$dir/keyed.tsv"
echo "machine: $(nproc) cores; broker: Apache Kafka 3.9.1, one node; 1 partition, 1,000 salons, $(wc -l < "$dir/keyed.tsv") commands"

./build/salonq --data "$dir/w1" serve --brokers "$bs" --instance w1 --session-timeout-ms "$session" \
  --snapshot-every 5000 > "$dir/w1.log" 2>&1 &
kcat -b "$bs" -P -t salonq.commands -K$'\t' -X partitioner=murmur2_random -X enable.idempotence=true < "$dir/keyed.tsv"
until ./build/salonq verify --brokers "$bs" >/dev/null 2>&1; do sleep 1; done
events=$(kcat -b "$bs" -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l)
snapshots=$(kcat -b "$bs" -C -t salonq.snapshots -e -q | wc -l)
echo "history: $events outcome records, $snapshots snapshots written by w1"

pkill -9 -f "salonq --data $dir/w1 " || true
killed=$(date +%s%N)
SALONQ_TRACE_TXN=${SALONQ_TRACE_TXN:-} ./build/salonq --data "$dir/w2" serve --brokers "$bs" --instance w2 --session-timeout-ms "$session" > "$dir/w2.log" 2>&1 &
printf 'salon-0001\t{"type":"walk_in","commandId":"after-kill","salonId":"salon-0001","payload":{"customer":{"name":"Late"},"services":["HC"]}}\n' \
  | kcat -b "$bs" -P -t salonq.commands -K$'\t' -X partitioner=murmur2_random
until kcat -b "$bs" -C -t salonq.events -e -q -X isolation.level=read_committed 2>/dev/null | grep -q '"commandId":"after-kill"'; do sleep 0.05; done
visible=$(date +%s%N)
pkill -TERM -f "salonq --data $dir/w2 " || true
sleep 2
echo "failure detection (session timeout): $session ms"
grep -o 'events_recovered.*' "$dir/w2.log" | sed 's/^/w2: /'
grep -E "(snapshots of partition|take-over of partition|PROF)" "$dir/w2.log" | sed 's/^/w2: /' || true
echo "kill -9 of w1 to the new command's outcome visible: $(( (visible - killed) / 1000000 )) ms"
