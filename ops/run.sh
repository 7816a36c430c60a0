#!/usr/bin/env bash
# README command 1: installs what salonq needs, builds it, and runs it in embedded mode (no broker) with a
# demo: three new salons and one simulated day through the engine, then a verify of the whole log.
#   ops/run.sh [--data DIR]   data in var/salonq-data (git-ignored) unless --data says otherwise; a second run adds
#                             three more salons to the same log (rm -rf var/ starts afresh)
# SALONQ_RUN_BINARY=PATH skips the build and runs that salonq: the test suite's fresh-clone test points it at the
# binary it was built with, as building a fresh clone takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

data=var/salonq-data
if [ "${1:-}" = "--data" ] && [ -n "${2:-}" ]; then data=$2; fi

./ops/install-deps.sh
salonq=./build/salonq
if [ -n "${SALONQ_RUN_BINARY:-}" ]; then
  salonq=$SALONQ_RUN_BINARY
else
  ./ops/build.sh salonq >/dev/null
fi
echo "== salonq demo (embedded mode, data in $data) =="
"$salonq" --data "$data" demo
echo
echo "== salonq verify (every salon in $data, earlier runs' included) =="
"$salonq" --data "$data" verify
