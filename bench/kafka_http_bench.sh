#!/usr/bin/env bash
# Kafka mode's HTTP API at light load (issue 10): POST .../walk-ins → its 201, through an api instance
# (`serve --role api`) and one engine worker (`serve --role engine`) on a single-node Apache Kafka on loopback.
#   bench/kafka_http_bench.sh [--runs 3] [--duration 10] [--rate 200] [--salons 100] [--conns 16]
# Each run POSTs walk-ins paced at --rate (bench/http/load.lua: a unique Idempotency-Key each, a pos token per 10
# salons, the salon at random), so every answer is a decision read back from salonq.events; wrk's latency is the
# POST's round trip: produce to salonq.commands → decided in a transaction → read_committed by the api instance's
# views → answered. Compare with the exactly-once relay and engine rows at light load (bench/kafka_bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 duration=10 rate=200 salons=100 conns=16
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --salons) salons=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    *) echo "bench/kafka_http_bench.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
for tool in wrk kcat; do
  command -v $tool >/dev/null || { echo "bench/kafka_http_bench.sh: $tool is missing (ops/install-deps.sh)" >&2; exit 1; }
done
./ops/build.sh salonq >/dev/null
salonq=./build/salonq
threads=2

dir=$(mktemp -d "${TMPDIR:-/tmp}/salonq-kafka-http-bench-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ops/kafka/broker.sh kill "$dir/kafka" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
brokers=$(ops/kafka/broker.sh start "$dir/kafka" 2>"$dir/broker.err" | tail -1)
"$salonq" topics create --brokers "$brokers" --partitions 12 >/dev/null

# The salons, produced as a POS would (key = salonId, murmur2, idempotent), decided by the worker.
bench/http/setup.sh "$salons" 4 0 0 >"$dir/setup.jsonl"
awk '{ match($0, /"salonId":"[^"]*"/); print substr($0, RSTART + 11, RLENGTH - 12) "\t" $0 }' "$dir/setup.jsonl" \
  >"$dir/setup.tsv"
kcat -b "$brokers" -P -t salonq.commands -K$'\t' -X partitioner=murmur2_random -X enable.idempotence=true \
  <"$dir/setup.tsv"
"$salonq" --data "$dir/w1" --log-level warn serve --brokers "$brokers" --instance w1 >"$dir/w1.log" 2>&1 &
pids+=($!)

keyring=$dir/keyring.json
token() { "$salonq" --data "$dir/tokens" token issue --keyring "$keyring" --ttl 2h "$@" 2>/dev/null; }
admin=$(token --role admin --all-salons)
: >"$dir/pos-tokens"
for ((g = 0; g * 10 < salons; g++)); do
  args=() names=""
  for ((i = g * 10 + 1; i <= g * 10 + 10 && i <= salons; i++)); do
    printf -v s "b%04d" "$i"; args+=(--salon "$s"); names+=" $s"
  done
  echo "$(token --role pos --sub "pos$g" "${args[@]}")$names" >>"$dir/pos-tokens"
done

"$salonq" --data "$dir/api" --log-level warn serve --brokers "$brokers" --role api --listen 127.0.0.1:0 \
  --client-rate 0 --token-rate 0 --keyring "$keyring" >"$dir/api.out" 2>"$dir/api.err" &
pids+=($!)
for _ in $(seq 600); do
  grep -q "serving http://" "$dir/api.out" && break
  sleep 0.1
done
url=$(head -1 "$dir/api.out" | grep -o "http://[^ ]*")
last=$(printf "b%04d" "$salons")
for _ in $(seq 600); do # the worker has decided the setup and the api instance has read it
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/salons/$last/queue" -H "Authorization: Bearer $admin")" = 200 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] && break
  sleep 0.2
done
echo "setup: $salons salons, 12 partitions, one engine worker, one api instance ($url); wrk $threads threads," \
  "$conns connections, walk-ins paced at $rate/s for ${duration}s per run"

to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'
}
wrk -t "$threads" -c "$conns" -d 3s -s bench/http/load.lua "$url" -- walkin "$rate" "$threads" "$dir/pos-tokens" \
  warmup >/dev/null 2>&1
for ((run = 1; run <= runs; run++)); do
  out=$dir/wrk-$run.txt
  wrk -t "$threads" -c "$conns" -d "${duration}s" --latency -s bench/http/load.lua "$url" -- walkin "$rate" \
    "$threads" "$dir/pos-tokens" "run$run" >"$out" 2>&1
  printf 'run %d: %s req/s  p50 %s  p90 %s  p99 %s ms%s\n' "$run" \
    "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")" "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" \
    "$(to_ms "$(awk '$1 == "90%" { print $2 }' "$out")")" "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")" \
    "$(awk '/Non-2xx or 3xx responses:/ { printf "  NON-2xx: %s", $NF }' "$out")"
done
curl -s "$url/metrics" -H "Authorization: Bearer $admin" |
  sed -nE 's/^salonq_http_requests_total\{route="([^"]*walk-ins)",method="POST",status="([^"]*)"\} ([0-9]+)$/  POST walk-ins \2: \3/p'
