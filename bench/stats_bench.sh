#!/usr/bin/env bash
# The stats route on a long history (issue 11): one salon over --days simulated days (made once with
# `salonq simulate`, kept in --data), served by `salonq serve`: the start that folds the whole log into <data>/stats,
# the restart that loads it back, then the route's latency for a day, a month and a year (bench/stats_latency.py),
# beside what answering from the log would cost (`salonq replay --report daily --salon`, the whole log per request).
#   bench/stats_bench.sh [--days 365] [--runs 200] [--data /tmp/salonq-stats-bench]
set -euo pipefail
cd "$(dirname "$0")/.."

days=365 runs=200 data=/tmp/salonq-stats-bench
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
  ./build/salonq --data "$data" --durability relaxed simulate --salons 1 --days "$days" --seed 11 --prefix year --quiet
  touch "$marker"
fi
salon=year-0001
last=$(./build/salonq --data "$data" replay --report daily --format jsonl 2>/dev/null | tail -1 |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["day"])')
token=$(./build/salonq --data "$data" token issue --role admin --all-salons --ttl 1h 2>/dev/null)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); events: $(./build/salonq --data "$data" \
  replay --salon $salon 2>/dev/null | wc -l)"

serve() { # starts serve, sets pid and url, prints how long it took to say where it serves
  local out=$data/serve.out start end
  rm -f "$out"
  start=$(date +%s.%N)
  ./build/salonq --data "$data" serve --listen 127.0.0.1:0 --client-rate 0 --token-rate 0 >"$out" 2>"$data/serve.err" &
  pid=$!
  until grep -q "serving" "$out" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$data/serve.err" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s.%N)
  url=$(sed -n 's/^salonq: serving \(http:[^ ]*\) .*/\1/p' "$out")
  echo "  $1: serving after $(echo "$end - $start" | bc) s"
}

pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT
rm -rf "$data/stats"
echo "== start-up =="
serve "first start (folds the whole log into <data>/stats)"
kill -TERM $pid && wait $pid || true
serve "restart (loads <data>/stats)"
echo "== GET /v1/salons/$salon/stats, $runs requests each, one keep-alive connection =="
python3 bench/stats_latency.py --url "$url" --token "$token" --salon $salon --last "$last" --runs "$runs"
kill -TERM $pid && wait $pid || true
echo "== the alternative: the same numbers from the whole log (salonq replay --report daily --salon) =="
/usr/bin/time -f "  %e s, %M kB peak" ./build/salonq --data "$data" replay --report daily --salon $salon >/dev/null 2>/tmp/stats_bench.replay.err || true
tail -1 /tmp/stats_bench.replay.err
