#!/usr/bin/env bash
# The staffing route's cost (issue 12): one salon over --days simulated days (made once with `salonq simulate`, kept
# in --data; the simulator's days start on 2026-11-02), served by `salonq serve`; GET /v1/salons/{id}/staffing
# learning from 1, 2 and 4 weeks ending at the last simulated day before today: the first request of each (the
# planner runs: 26 simulated weeks, a few hundred rosters) and --runs more (answered from the advisor's cache); then
# --runs requests of a window that reaches today (never cached: the planner every time); beside `salonq replay
# --report staffing` over the same days (the log read per request).
#   bench/staffing_bench.sh [--days 28] [--runs 50] [--data /tmp/salonq-staffing-bench]
set -euo pipefail
cd "$(dirname "$0")/.."

days=28 runs=50 data=/tmp/salonq-staffing-bench
while [ $# -gt 0 ]; do
  case $1 in
    --days) days=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "usage: $0 [--days N] [--runs N] [--data DIR]" >&2; exit 2 ;;
  esac
done

marker="$data/.made-$days"
if [ ! -e "$marker" ]; then
  rm -rf "$data"
  echo "making the log: 1 salon x $days days (salonq simulate, relaxed durability) ..."
  ./build/salonq --data "$data" --durability relaxed simulate --salons 1 --days "$days" --seed 11 --prefix half --quiet
  touch "$marker"
fi
salon=half-0001
token=$(./build/salonq --data "$data" token issue --role admin --all-salons --ttl 1h 2>/dev/null)
last=$(./build/salonq --data "$data" replay --report daily --format jsonl 2>/dev/null | tail -1 |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["day"])')
yesterday=$(date -u -d yesterday +%F)
[[ "$last" > "$yesterday" ]] && last=$yesterday
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); last day $last"

out=$data/serve.out
./build/salonq --data "$data" serve --listen 127.0.0.1:0 --client-rate 0 --token-rate 0 >"$out" 2>"$data/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until grep -q "serving" "$out" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$data/serve.err" >&2; exit 1; }
  sleep 0.05
done
url=$(sed -n 's/^salonq: serving \(http:[^ ]*\) .*/\1/p' "$out")

latencies() { # $1 query: --runs requests, their p50/p90/max
  for _ in $(seq "$runs"); do
    curl -s -o /dev/null -w "%{time_total}\n" -H "Authorization: Bearer $token" "$url/v1/salons/$salon/staffing?$1"
  done | sort -n | awk '{ t[NR] = $1 } END { printf "  %d requests: p50 %.2f ms, p90 %.2f ms, max %.2f ms\n",
    NR, 1000 * t[int(NR * 0.5)], 1000 * t[int(NR * 0.9)], 1000 * t[NR] }'
}

for weeks in 1 2 4; do
  first=$(date -d "$last - $((weeks * 7 - 1)) days" +%F)
  query="from=$first&to=$last"
  echo "== $weeks weeks ($query) =="
  curl -s -o "$data/answer.json" -w "  first request (planner): %{time_total} s, %{size_download} bytes\n" \
    -H "Authorization: Bearer $token" "$url/v1/salons/$salon/staffing?$query"
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print("  status", a["status"], "hours", len(a["hours"]))' \
    "$data/answer.json"
  echo -n "  cached:"
  latencies "$query"
  /usr/bin/time -f "  replay --report staffing over the same days: %e s, %M kB peak" ./build/salonq --data "$data" \
    replay --report staffing --salon $salon --from "$first" --to "$(date -d "$last + 1 day" +%F)" >/dev/null \
    2>"$data/replay.err" || true
  tail -1 "$data/replay.err"
done
today=$(date -u +%F)
echo "== a window that reaches today (from=$first&to=$today: never cached) =="
echo -n "  planner every time:"
latencies "from=$first&to=$today"
