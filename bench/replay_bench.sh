#!/usr/bin/env bash
# The replay benchmark (issue 11): `salonq replay` over an embedded log of about --entries entries (a simulated
# history: --salons salons over --days days, made once with `salonq simulate` and kept in --data), next to a raw
# RocksDB scan of the same log measured in the same run (build/bench/replay_bench), then the command line end to end
# (open included) into /dev/null, the reports, and a rebuild of the queue views (`salonq projections rebuild`, in a
# copy of the data directory).
#   bench/replay_bench.sh [--salons 560] [--days 10] [--runs 5] [--data /tmp/salonq-replay-bench]
set -euo pipefail
cd "$(dirname "$0")/.."

salons=560 days=10 runs=5 data=/tmp/salonq-replay-bench
while [ $# -gt 0 ]; do
  case $1 in
    --salons) salons=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "usage: $0 [--salons N] [--days N] [--runs N] [--data DIR]" >&2; exit 2 ;;
  esac
done

./ops/build.sh salonq replay_bench >/dev/null
marker="$data/.made-$salons-$days"
if [ ! -e "$marker" ]; then
  rm -rf "$data"
  echo "making the log: $salons salons x $days days (salonq simulate, relaxed durability) ..."
  ./build/salonq --data "$data" --durability relaxed simulate --salons "$salons" --days "$days" --quiet
  touch "$marker"
fi

echo "== in process, median of $runs =="
./build/bench/replay_bench --data "$data" --runs "$runs"

echo "== the command line, end to end (opening the log included), into /dev/null =="
for args in "--include-rejections" "" "--format csv --include-rejections"; do
  # shellcheck disable=SC2086 # the arguments are meant to split
  ./build/salonq --data "$data" replay $args 2>&1 >/dev/null | tail -1 | sed "s|^|  replay $args: |"
done

echo "== reports and a rebuild on the same log (wall time, peak memory) =="
for report in daily staffing; do
  /usr/bin/time -f "  --report $report: %e s, %M KiB peak" ./build/salonq --data "$data" replay --report "$report" -q \
    >/dev/null
done
copy=$(mktemp -d "${TMPDIR:-/tmp}/salonq-rebuild-XXXXXX")
trap 'rm -rf "$copy"' EXIT
cp -r "$data" "$copy/data"
# The first one also folds the never-served copy's live views up to the log's end; the second is a rebuild of views
# that are current, as a running server's are.
./build/salonq --data "$copy/data" projections rebuild views -q >/dev/null
/usr/bin/time -f "  projections rebuild views: %e s, %M KiB peak" ./build/salonq --data "$copy/data" projections \
  rebuild views -q >/dev/null
