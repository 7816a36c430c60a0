#!/usr/bin/env bash
# Runs kafka_bench against a fresh single-node broker on loopback (started and stopped here).
#   bench/kafka_bench.sh [kafka_bench options...]
set -euo pipefail
cd "$(dirname "$0")/.."
./ops/build.sh kafka_bench salonq >/dev/null
dir=$(mktemp -d)
trap './ops/kafka/broker.sh kill "$dir/kafka" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bootstrap=$(./ops/kafka/broker.sh start "$dir/kafka")
./build/salonq topics create --brokers "$bootstrap" --partitions 12 >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); broker: Apache Kafka 3.9.1, one node, 127.0.0.1"
./build/bench/kafka_bench --brokers "$bootstrap" "$@"
