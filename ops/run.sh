#!/usr/bin/env bash
# README command 1: installs what salonq needs, builds it, and runs it in embedded mode (no broker) with a
# demo: three salons and one simulated day through the engine, then the state and a verify.
#   ops/run.sh [--data DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

data=salonq-data
if [ "${1:-}" = "--data" ] && [ -n "${2:-}" ]; then data=$2; fi

./ops/install-deps.sh
./ops/build.sh salonq >/dev/null
echo "== salonq demo (embedded mode, data in $data) =="
./build/salonq --data "$data" demo
echo
echo "== salonq verify =="
./build/salonq --data "$data" verify
