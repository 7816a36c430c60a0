#!/usr/bin/env bash
# Where a walk-in's latency tail comes from: one fresh `salonq serve` (embedded, durability sync, as
# bench/http_bench.sh runs it, with its access log on), walk-ins paced at RATE for DURATION seconds over the same
# 1,000 salons, then the latency of each answer placed at the moment it was sent (bench/http/timeline.py). A stall
# that recurs (a checkpoint, a flush) shows as a column; one that grows, as a column that rises.
#   bench/http_timeline.sh [--rate 2800] [--duration 8] [--warm SECONDS] [--salonq PATH] [-- GLOBAL_OPTIONS...]
# --warm sends walk-ins at the maximum for SECONDS first (128 connections), as bench/http_bench.sh's half pass follows
# its maximum pass: longer lines, and a read side still folding its backlog when the paced walk-ins begin.
# (GLOBAL_OPTIONS go before `serve`, e.g. -- --state-checkpoint-ms 4000.) The access log costs the server some CPU:
# compare runs of this script with each other, not with bench/http_bench.sh's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=2800 duration=8 warm=0 salonq=./build/salonq salons=1000
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warm) warm=$2; shift 2 ;;
    --salonq) salonq=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "bench/http_timeline.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "bench/http_timeline.sh: wrk is missing (ops/install-deps.sh installs it)" >&2; exit 1; }
[ "$salonq" != ./build/salonq ] || ./ops/build.sh salonq >/dev/null
threads=2
dir=$(mktemp -d "${TMPDIR:-/tmp}/salonq-http-timeline-XXXXXX")
server=
trap '[ -z "$server" ] || kill -TERM "$server" 2>/dev/null || true; wait; rm -rf "$dir"' EXIT

bench/http/setup.sh "$salons" 4 20 0 >"$dir/setup.jsonl"
keyring=$dir/keyring.json
bench/http/pos_tokens.sh "$salonq" "$dir/tokens" "$keyring" "$salons" >"$dir/pos-tokens"
"$salonq" --data "$dir/data" submit "$dir/setup.jsonl" >/dev/null
source bench/http/serve.sh # serve_bench
serve_bench "$dir/data" "$dir/out" "$dir/access.log" info "$@"
if [ "$warm" != 0 ]; then
  wrk -t "$threads" -c 128 -d "${warm}s" -s bench/http/load.lua "$url" -- walkin 0 "$threads" "$dir/pos-tokens" warm \
    >"$dir/wrk-warm.txt"
  echo "warmed up: $(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$dir/wrk-warm.txt") walk-ins/s for ${warm}s"
fi
echo "walk-ins paced at $rate/s for ${duration}s on a fresh server ($salonq $*), load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t "$threads" -c 128 -d "${duration}s" --latency -s bench/http/load.lua "$url" -- walkin "$rate" "$threads" \
  "$dir/pos-tokens" timeline >"$dir/wrk.txt"
kill -TERM "$server"
wait "$server" || true
server=
echo "wrk: $(awk '/^Requests\/sec:/ { printf "%.0f req/s", $2 }' "$dir/wrk.txt"), p99 $(awk '$1 == "99%" { print $2 }' "$dir/wrk.txt")"
bench/http/timeline.py "$dir/access.log" timeline "$rate" "$threads"
