#!/usr/bin/env bash
# The HTTP API benchmark (issue 10), in one run on loopback: salonq serve (embedded mode, rate limits off) under wrk.
#   bench/http_bench.sh [--runs 3] [--duration 8] [--salons 1000] [--conns 64] [--post-conns 128]
#                       [--ws-connections 50000] [--ws-changes 500] [--no-relaxed] [--no-workers2] [--no-fresh-half]
#                       [--no-ws] [--no-perf] [--by-thread RATE]
#                       [--salonq PATH] [--perf-rate N] [--perf-keep FILE]
# Each run starts a fresh `salonq serve` (durability sync, the default: a walk-in is answered after fsync) over a
# log set up with `salonq submit` (bench/http/setup.sh: --salons salons b0001... with maxWaiting 2600 and 4 staff on
# duty, and salon q with 20 waiting), then measures with wrk (bench/http/load.lua):
#   1. /healthz (the limit), GET /v1/salons/q/queue (a dashboard token), POST /v1/salons/S/walk-ins (S at random
#      among the salons, a pos token per 10 salons, a unique Idempotency-Key each): req/s, latency p50/p90/p99;
#   2. each again paced at half of its maximum of the same run (p99 at half load), then the disk's own fdatasync
#      latency (bench/http/fsync_probe.py), the floor under an acknowledged walk-in;
#   3. walk-ins with --durability relaxed, and with --workers 2 (two engine threads), each a fresh server, maximum only;
#      walk-ins at half of the run's maximum again on a fresh server (walkin-half-fresh): in step 2 the half pass
#      follows the maximum one on the same server, whose salons each got ~40 walk-ins longer lines from it (every
#      walk-in's fold and checkpoint work grows with the line) and whose read side may still be folding its backlog.
# Then once: serve's CPU per walk-in by thread at a fixed RATE (--by-thread, default 4000/s; 0: not at all) on a fresh
# server (bench/http/thread_cpu.sh: each thread's CPU time from /proc, before and after), a perf profile of the walk-in
# POST path (if perf works), and the live test (bench/ws_bench):
# --ws-connections WebSockets held by serve, memory per connection, change-to-client latency.
# Figures are printed per run, then the medians of the runs beside the issue's targets. --salonq runs another
# build's binary (e.g. a copy of an earlier commit's, for a before/after in the same hour) instead of build/salonq.
# --perf-rate profiles walk-ins paced at N/s instead of at the maximum; --perf-keep copies perf.data to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 duration=8 salons=1000 conns=64 post_conns=128 ws_target=50000 ws_changes=500
relaxed=true workers2=true fresh_half=true ws=true perf=true perf_rate=0 perf_keep= salonq=./build/salonq by_thread=4000
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --salons) salons=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --post-conns) post_conns=$2; shift 2 ;;
    --ws-connections) ws_target=$2; shift 2 ;;
    --ws-changes) ws_changes=$2; shift 2 ;;
    --no-relaxed) relaxed=false; shift ;;
    --no-workers2) workers2=false; shift ;;
    --no-fresh-half) fresh_half=false; shift ;;
    --no-ws) ws=false; shift ;;
    --no-perf) perf=false; shift ;;
    --salonq) salonq=$2; shift 2 ;;
    --perf-rate) perf_rate=$2; shift 2 ;;
    --perf-keep) perf_keep=$2; shift 2 ;;
    --by-thread) by_thread=$2; shift 2 ;;
    *) echo "bench/http_bench.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "bench/http_bench.sh: wrk is missing (ops/install-deps.sh installs it)" >&2; exit 1; }
if [ "$salonq" = ./build/salonq ]; then ./ops/build.sh salonq ws_bench >/dev/null; else ./ops/build.sh ws_bench >/dev/null; fi
threads=2 # wrk threads (the machine's cores are shared by wrk and the server)

dir=$(mktemp -d "${TMPDIR:-/tmp}/salonq-http-bench-XXXXXX")
server=
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  server=
}
trap 'stop_server; rm -rf "$dir"' EXIT

# The open-file limit: the server and the WebSocket client each hold one descriptor per connection.
hard=$(ulimit -Hn)
if (ulimit -Hn $((hard + 1)) 2>/dev/null); then ulimit -Hn 1048576 2>/dev/null || true; hard=$(ulimit -Hn); fi
ulimit -n "$hard"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg); open files $(ulimit -n)"
echo "server: salonq serve, embedded, --client-rate 0 --token-rate 0 (rate limits OFF), HTTP threads = cores;" \
  "wrk $threads threads, $conns connections (GETs) / $post_conns (POSTs), ${duration}s per measurement"

# --- the log every server starts from, and the tokens (one keyring for all servers) ---
bench/http/setup.sh "$salons" 4 20 0 >"$dir/setup.jsonl"
bench/http/setup.sh "$salons" 4 20 20 >"$dir/setup-ws.jsonl"
keyring=$dir/keyring.json
token() { "$salonq" --data "$dir/tokens" token issue --keyring "$keyring" --ttl 2h "$@" 2>/dev/null; }
admin=$(token --role admin --all-salons)
dashboard=$(token --role dashboard --salon q)
# A pos token per 10 salons ("TOKEN SALON..." lines).
bench/http/pos_tokens.sh "$salonq" "$dir/tokens" "$keyring" "$salons" >"$dir/pos-tokens"
echo "setup: $salons salons b0001.. (maxWaiting 2600, 4 staff on duty) + salon q (20 waiting); $(wc -l <"$dir/pos-tokens") pos tokens of 10 salons each"

source bench/http/serve.sh # serve_bench
# start_server NAME SETUP [global options...]: a fresh data directory from the setup log, then serve on a free port.
start_server() {
  local name=$1 setup=$2
  shift 2
  rm -rf "$dir/$name"
  "$salonq" --data "$dir/$name" submit "$setup" >"$dir/$name.submit"
  if grep -qv '"status":"accepted"' "$dir/$name.submit"; then
    echo "bench/http_bench.sh: the setup was not all accepted:" >&2
    grep -v '"status":"accepted"' "$dir/$name.submit" | head -3 >&2
    exit 1
  fi
  serve_bench "$dir/$name" "$dir/$name.out" "$dir/$name.err" warn "$@"
}

# cpu_ticks: serve's user + system time so far, in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }

# to_ms VALUE: wrk's "1.23ms" / "456.78us" / "1.02s" / "2.00m" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'
}

# measure RUN NAME CONNS RATE MODE [ARGS...]: one wrk pass; prints its line and appends it to $dir/results.
measure() {
  local run=$1 name=$2 c=$3 rate=$4 mode=$5
  shift 5
  local out=$dir/wrk-$run-$name.txt
  local cpu_before cpu_after
  cpu_before=$(cpu_ticks)
  wrk -t "$threads" -c "$c" -d "${duration}s" --latency -s bench/http/load.lua "$url" -- "$mode" "$rate" "$threads" "$@" >"$out" 2>&1
  cpu_after=$(cpu_ticks)
  local rps p50 p90 p99 bad errors cpu
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  # serve's CPU (user + system, all threads) per answer: what a request costs whatever else the machine runs.
  cpu=$(awk -v a="$cpu_before" -v b="$cpu_after" -v r="$rps" -v d="$duration" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (r > 0) printf "%.0f", (b - a) / hz * 1e6 / (r * d); else print "-" }')
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p90=$(to_ms "$(awk '$1 == "90%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  errors=$(grep -o 'Socket errors:.*' "$out" || true)
  printf '  %-22s %9s req/s%s  p50 %7s  p90 %7s  p99 %7s ms  serve CPU %5s us/req%s%s\n' "$name" "$rps" \
    "$([ "$rate" != 0 ] && printf ' (offered %s)' "$rate")" "$p50" "$p90" "$p99" "$cpu" \
    "${bad:+  NON-2xx: $bad}" "${errors:+  $errors}"
  echo "$run $name $rps $p50 $p90 $p99 ${bad:-0} $cpu" >>"$dir/results"
}

# statuses: the server's own count of answers by route and status (/metrics), and whether it is still alive.
statuses() {
  if ! kill -0 "$server" 2>/dev/null; then
    echo "  SERVER DIED; its stderr:"; tail -5 "$dir/$1.err"; server=; return
  fi
  curl -s "$url/metrics" -H "Authorization: Bearer $admin" |
    sed -nE 's/^salonq_http_requests_total\{route="([^"]*)",method="([^"]*)",status="([^"]*)"\} ([0-9]+)$/\2 \1 \3 \4/p' |
    awk '{ n[$1 " " $2 " " $3] += $4 } END { printf "  answers (serve'"'"'s /metrics):"; for (k in n) printf "  %s: %d;", k, n[k]; printf "\n" }'
  local warnings
  warnings=$(grep -c . "$dir/$1.err" || true)
  [ "$warnings" = 0 ] || { echo "  server log: $warnings lines at warn or above, e.g.:"; sort "$dir/$1.err" | uniq -c | sort -rn | head -3; }
}

: >"$dir/results"
for run in $(seq "$runs"); do
  echo
  echo "== run $run of $runs (durability sync) =="
  start_server "sync-$run" "$dir/setup.jsonl"
  wrk -t "$threads" -c "$conns" -d 2s -s bench/http/load.lua "$url" -- healthz 0 "$threads" >/dev/null # warm-up
  measure "$run" healthz "$conns" 0 healthz
  measure "$run" queue "$conns" 0 queue "$dashboard" q
  measure "$run" walkin "$post_conns" 0 walkin "$dir/pos-tokens" "r$run-max"
  for name in healthz queue walkin; do
    half=$(awk -v r="$run" -v n="$name" '$1 == r && $2 == n { printf "%d", $3 / 2 }' "$dir/results")
    case $name in
      healthz) measure "$run" healthz-half "$conns" "$half" healthz ;;
      queue) measure "$run" queue-half "$conns" "$half" queue "$dashboard" q ;;
      walkin) measure "$run" walkin-half "$post_conns" "$half" walkin "$dir/pos-tokens" "r$run-half" ;;
    esac
  done
  # The floor under a durable walk-in's latency, in the same minute: the disk's own fdatasync.
  read -r f50 f90 f99 < <(bench/http/fsync_probe.py "$dir" 3)
  printf '  %-22s %9s        p50 %7s  p90 %7s  p99 %7s ms  (4 KiB append + fdatasync, the disk alone)\n' fsync - "$f50" "$f90" "$f99"
  echo "$run fsync - $f50 $f90 $f99 0 -" >>"$dir/results"
  statuses "sync-$run"
  stop_server
  if $relaxed; then
    start_server "relaxed-$run" "$dir/setup.jsonl" --durability relaxed
    measure "$run" walkin-relaxed "$post_conns" 0 walkin "$dir/pos-tokens" "r$run-relaxed"
    statuses "relaxed-$run"
    stop_server
  fi
  if $workers2; then
    start_server "workers2-$run" "$dir/setup.jsonl" --workers 2
    measure "$run" walkin-2workers "$post_conns" 0 walkin "$dir/pos-tokens" "r$run-workers2"
    statuses "workers2-$run"
    stop_server
  fi
  if $fresh_half; then
    start_server "fresh-$run" "$dir/setup.jsonl"
    half=$(awk -v r="$run" '$1 == r && $2 == "walkin" { printf "%d", $3 / 2 }' "$dir/results")
    measure "$run" walkin-half-fresh "$post_conns" "$half" walkin "$dir/pos-tokens" "r$run-fresh"
    statuses "fresh-$run"
    stop_server
  fi
done

# median NAME FIELD: the median over the runs (field 3 req/s, 4 p50, 5 p90, 6 p99, 8 serve CPU us per request).
median() {
  awk -v n="$1" -v f="$2" '$2 == n && $f != "-" { print $f }' "$dir/results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 '"$3"' b + 0) }'; then echo "met"; else echo "NOT met"; fi; }

if [ "$runs" -gt 0 ]; then
echo
echo "== medians of $runs runs =="
printf '  %-22s %9s  %7s  %7s  %7s  %10s\n' "" "req/s" "p50 ms" "p90 ms" "p99 ms" "CPU us/req"
for name in healthz queue walkin healthz-half queue-half walkin-half walkin-half-fresh fsync walkin-relaxed walkin-2workers; do
  grep -q " $name " "$dir/results" || continue
  printf '  %-22s %9s  %7s  %7s  %7s  %10s\n' "$name" "$(median $name 3)" "$(median $name 4)" "$(median $name 5)" \
    "$(median $name 6)" "$(median $name 8)"
done
ratios=$(awk '$2 == "healthz" { h[$1] = $3 } $2 == "queue" { q[$1] = $3 } END { for (r in h) if (h[r] > 0) printf "%.1f\n", 100 * q[r] / h[r] }' "$dir/results" | sort -g)
ratio=$(echo "$ratios" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "  GET queue / healthz: median $ratio % (runs: $(echo $ratios | sed 's/ / %, /g') %)  — target >= 70 %: $(verdict "$ratio" 70 '>=')"
w=$(median walkin 3)
echo "  POST walk-in (sync): median $w /s  — target >= 20,000/s: $(verdict "$w" 20000 '>=')"
for name in healthz queue walkin; do
  p=$(median "$name-half" 6)
  echo "  $name at half its maximum: p99 $p ms  — target < 10 ms: $(verdict "$p" 10 '<')"
done
if grep -q " walkin-half-fresh " "$dir/results"; then
  p=$(median walkin-half-fresh 6)
  echo "  walkin at half its maximum on a fresh server: p99 $p ms  — target < 10 ms: $(verdict "$p" 10 '<')"
fi
echo "  (the disk's own fdatasync in the same runs: p50 $(median fsync 4), p99 $(median fsync 6) ms; an acknowledged"
echo "   walk-in waits for one, and for the batch being synced when it arrived)"
echo "  (half-rate passes are paced by bench/http/load.lua's delay(): an absolute schedule per wrk thread with 1 ms"
echo "   timer ticks, since wrk2 is not in Debian; latency counts from each request's send)"
fi

# --- serve's CPU per walk-in by thread, once, at a fixed rate ---
# walkins_answered: the 201s serve has sent to POST walk-ins so far (its /metrics).
walkins_answered() {
  curl -s "$url/metrics" -H "Authorization: Bearer $admin" |
    awk '/^salonq_http_requests_total\{route="\/v1\/salons\/\{salonId\}\/walk-ins",method="POST",status="201"\}/ { n += $NF } END { print n + 0 }'
}
if [ "$by_thread" != 0 ]; then
  echo
  echo "== serve's CPU per walk-in by thread: POST walk-ins paced at $by_thread/s on a fresh server, ${duration}s =="
  start_server by-thread "$dir/setup.jsonl"
  wrk -t "$threads" -c "$post_conns" -d "$((duration + 2))s" -s bench/http/load.lua "$url" -- walkin "$by_thread" "$threads" "$dir/pos-tokens" by-thread >"$dir/wrk-by-thread.txt" 2>&1 &
  load=$!
  sleep 1
  bench/http/thread_cpu.sh "$server" >"$dir/threads-before"
  answered_before=$(walkins_answered)
  sleep "$duration"
  bench/http/thread_cpu.sh "$server" >"$dir/threads-after"
  answered=$(($(walkins_answered) - answered_before))
  wait "$load" || true
  echo "  $answered walk-ins answered 201 in the ${duration}s window ($((answered / duration))/s)"
  join -a 2 -e 0 -o 0,1.2,2.2 "$dir/threads-before" "$dir/threads-after" |
    awk -v n="$answered" -v hz="$(getconf CLK_TCK)" '{ us = ($3 - $2) / hz * 1e6 / (n > 0 ? n : 1); all += us; if (us >= 0.05) printf "  %-18s %7.1f us\n", $1, us }
      END { printf "  %-18s %7.1f us a walk-in\n", "all", all }' | sort -k2 -g -r
  statuses by-thread
  stop_server
fi

# --- profile of the walk-in path, once ---
if $perf && command -v perf >/dev/null && perf record -o /dev/null -- true >/dev/null 2>&1; then
  echo
  echo "== perf: POST walk-in at $([ "$perf_rate" = 0 ] && echo maximum || echo "$perf_rate/s"), ${duration}s, serve sampled at 199 Hz with DWARF call graphs =="
  start_server perf "$dir/setup.jsonl"
  wrk -t "$threads" -c "$post_conns" -d "$((duration + 2))s" -s bench/http/load.lua "$url" -- walkin "$perf_rate" "$threads" "$dir/pos-tokens" perf >"$dir/wrk-perf.txt" 2>&1 &
  load=$!
  sleep 1
  perf record -F 199 --call-graph dwarf,16384 -p "$server" -o "$dir/perf.data" -- sleep "$duration" >/dev/null 2>&1 || true
  wait "$load" || true
  echo "  (wrk under perf: $(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$dir/wrk-perf.txt") req/s)"
  echo "  CPU samples by thread (serve's threads are unnamed but RocksDB's):"
  perf report -i "$dir/perf.data" --no-children --sort comm,pid --stdio -g none 2>/dev/null | grep '%' | head -6 | sed 's/^/  /' || true
  echo "  top frames by self time:"
  perf report -i "$dir/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep '%' | head -15 | cut -c1-150 | sed 's/^/  /' || true
  echo "  top salonq frames including callees:"
  perf report -i "$dir/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep '%' | grep -E 'salonq::|rocksdb::' | head -15 | cut -c1-150 | sed 's/^/  /' || true
  [ -z "$perf_keep" ] || cp "$dir/perf.data" "$perf_keep"
  stop_server
fi

# --- live: WebSocket screens held by one serve ---
if $ws; then
  echo
  echo "== live: WebSocket screens (bench/ws_bench), each of the $salons salons with 20 waiting =="
  start_server ws "$dir/setup-ws.jsonl"
  # Both ends hold the screens' sockets in io_uring tables (docs/live-rings.md), not a descriptor each: the open-file
  # limit ($(ulimit -n) here) does not cap them.
  n=$ws_target
  sources=$(((n + 19999) / 20000 + 1))
  build/bench/ws_bench --port "${url##*:}" --tokens "$dir/pos-tokens" --connections "$n" --server-pid "$server" \
    --sources "$sources" --changes "$ws_changes" --interval-ms 20 | sed 's/^/  /'
  # ~200 screens a salon (the salons of the first pos tokens, 10 each): every change fans out to all of them.
  fan=$(((n / 200 + 9) / 10))
  echo "  -- again with the screens on $((fan * 10)) salons only (~$((n / (fan * 10))) per salon) --"
  head -"$fan" "$dir/pos-tokens" >"$dir/pos-tokens-fan"
  build/bench/ws_bench --port "${url##*:}" --tokens "$dir/pos-tokens-fan" --connections "$n" --server-pid "$server" \
    --sources "$sources" --changes 200 --interval-ms 20 | grep -E 'connections|timed|change-to-client|POST-to' | sed 's/^/  /'
  statuses ws
  stop_server
fi
