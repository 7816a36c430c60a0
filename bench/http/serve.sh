# Sourced by the HTTP benchmarks (bash): serve_bench DATA OUT ERR LOG_LEVEL [GLOBAL_OPTIONS...] starts `$salonq serve`
# on a free loopback port over DATA (rate limits off, the benchmark's keyring `$keyring`), its stdout to OUT and
# stderr to ERR, waits until it serves, and sets `server` (its pid) and `url`. Exits the script if it does not start.
serve_bench() {
  local data=$1 out=$2 err=$3 level=$4
  shift 4
  "$salonq" --data "$data" --log-level "$level" "$@" serve --listen 127.0.0.1:0 --client-rate 0 --token-rate 0 \
    --keyring "$keyring" >"$out" 2>"$err" &
  server=$!
  for _ in $(seq 300); do
    grep -q "serving http://" "$out" && break
    kill -0 "$server" 2>/dev/null || { echo "$0: salonq serve did not start" >&2; cat "$err" >&2; exit 1; }
    sleep 0.1
  done
  url=$(head -1 "$out" | grep -o "http://[^ ]*")
}
