#!/usr/bin/env bash
# README command 1: installs what salonq needs, builds it, and runs the living demo in embedded mode (no broker): the
# engine and the HTTP API in one process on 127.0.0.1:8080, and `salonq traffic` playing three salons' customers and
# staff against it (demo, north, riverside; docs/demo.md). Prints each page's link with a ready token, the tokens per
# role and a few curl lines to try. Runs until Ctrl-C (or SIGTERM), then stops the traffic, then the server, and
# verifies the whole log.
#   ops/run.sh [--data DIR] [--listen HOST:PORT] [--speed F] [--no-traffic] [--smoke]
#     --data        the log and the keyring (default var/salonq-data, git-ignored; a second run goes on with it,
#                   rm -rf var/ starts afresh)
#     --listen      where to serve (default 127.0.0.1:8080; port 0: any free one)
#     --speed       simulated seconds per real second of the traffic (default 120: a salon hour in 30 s)
#     --no-traffic  serve only (the salons are still set up, by a few seconds of traffic)
#     --smoke       a few seconds of fast traffic, then the curl lines, then stop (the fresh-clone test runs this)
# SALONQ_RUN_BINARY=PATH skips the build and runs that salonq (the fresh-clone test points it at the suite's).
set -euo pipefail
cd "$(dirname "$0")/.."

data=var/salonq-data
listen=127.0.0.1:8080
speed=120
traffic=true
smoke=false
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    --speed) speed=$2; shift 2 ;;
    --no-traffic) traffic=false; shift ;;
    --smoke) smoke=true; shift ;;
    *) echo "ops/run.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done

./ops/install-deps.sh
salonq=./build/salonq
if [ -n "${SALONQ_RUN_BINARY:-}" ]; then
  salonq=$SALONQ_RUN_BINARY
else
  ./ops/build.sh salonq >/dev/null
fi
mkdir -p "$data"

# The server and the traffic run in sessions of their own (setsid), so Ctrl-C reaches this script only and it stops
# them in order: the traffic first, then the server (no command is cut off), then verify.
out=$(mktemp "${TMPDIR:-/tmp}/salonq-run-XXXXXX")
setsid "$salonq" --data "$data" --log-level warn serve --listen "$listen" >"$out" &
server=$!
driver=
stop_all() {
  if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then
    kill -TERM "$driver"
    wait "$driver" || true
  fi
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  rm -f "$out"
}
trap stop_all EXIT
trap 'exit 130' HUP TERM
for _ in $(seq 300); do
  grep -q "serving http://" "$out" && break
  kill -0 "$server" 2>/dev/null || { echo "ops/run.sh: salonq serve did not start" >&2; exit 1; }
  sleep 0.1
done
url=$(grep -o "http://[^ ]*" "$out" | head -1)
[ -n "$url" ] || { echo "ops/run.sh: salonq serve did not say where it listens" >&2; exit 1; }

# The salons: the traffic sets up what is missing (idempotent), then plays their day.
traffic_cmd=("$salonq" --data "$data" traffic --url "$url" --salons demo,north,riverside)
if $smoke || ! $traffic; then
  # A few seconds of fast traffic: the salons exist and have a queue before the curl lines run.
  played=$("${traffic_cmd[@]}" --speed 600 --duration 4)
  echo "$played"
  if $smoke && ! grep -Eq '^traffic stopped: [1-9][0-9]* walk-ins' <<<"$played"; then
    echo "ops/run.sh: the traffic made no walk-ins" >&2
    exit 1
  fi
fi

token() { "$salonq" --data "$data" token issue --ttl 12h "$@" 2>/dev/null; }
admin=$(token --role admin --all-salons)
pos=$(token --role pos --salon demo --sub front-desk)
staff=$(token --role staff --salon demo --staff sam)
manager=$(token --role manager --salon demo --staff max)
owner=$(token --role owner --salon demo --staff ana)
dashboard=$(token --role dashboard --salon demo --salon north --salon riverside)
analyst=$(token --role analyst --salon demo)
monitor=$(token --role monitor)

walk_in="curl -s -X POST $url/v1/salons/demo/walk-ins -H \"Authorization: Bearer \$POS\" -H 'Content-Type: application/json' -d '{\"customer\":{\"name\":\"Ana\"},\"services\":[\"HC\"]}'"
start="curl -s -X POST $url/v1/salons/demo/start-next -H \"Authorization: Bearer \$STAFF\" -H 'Content-Type: application/json' -d '{\"staffId\":\"sam\"}'"
metrics="curl -s $url/metrics -H \"Authorization: Bearer \$MONITOR\""
cat <<TEXT

salonq serves $url (embedded mode, data in $data). The pages, each with a token valid 12 hours:
  queue board     $url/board?salon=demo#token=$dashboard
                  (the same token for salon=north and salon=riverside)
  staff console   $url/console?salon=demo#token=$manager
                  (as the manager, max; as a stylist, sam: $url/console?salon=demo#token=$staff)
  owner dashboard $url/owner?salon=demo#token=$owner
The tokens per role, for curl:
  export ADMIN=$admin
  export POS=$pos
  export STAFF=$staff
  export MANAGER=$manager
  export OWNER=$owner
  export DASHBOARD=$dashboard
  export ANALYST=$analyst
  export MONITOR=$monitor
Try:
  $walk_in
  $start
  $metrics
TEXT

if $smoke; then
  export POS=$pos STAFF=$staff ADMIN=$admin MONITOR=$monitor
  answer=$(eval "$walk_in")
  grep -q '"status":"accepted"' <<<"$answer" || { echo "ops/run.sh: the walk-in failed: $answer" >&2; exit 1; }
  answer=$(eval "$start") # decided either way: sam may be serving a customer of the traffic
  grep -Eq '"status":"(accepted|rejected)"' <<<"$answer" || { echo "ops/run.sh: start failed: $answer" >&2; exit 1; }
  scraped=$(eval "$metrics")
  grep -q '^salonq_http_requests_total' <<<"$scraped" || { echo "ops/run.sh: /metrics failed" >&2; exit 1; }
  if grep -Eq '^salonq_http_requests_total\{.*status="5[0-9][0-9]"' <<<"$scraped"; then
    echo "ops/run.sh: the server answered 5xx: $(grep -E 'status="5' <<<"$scraped")" >&2
    exit 1
  fi
  echo "smoke: the curl lines work"
else
  if $traffic; then
    echo "The traffic (docs/demo.md) plays the salons at ${speed}x; Ctrl-C stops it, then the server."
    echo
    setsid "${traffic_cmd[@]}" --speed "$speed" &
    driver=$!
  else
    echo "Ctrl-C stops it."
  fi
  # SIGTERM as Ctrl-C: a run.sh started in the background (`&`) ignores SIGINT (bash leaves it ignored for
  # background jobs), so `kill -TERM` is how a script stops it, and it gets the same ordered stop and verify.
  trap 'echo; echo "stopping..."' INT TERM
  wait "$server" || true
fi
stop_all
trap - EXIT
echo
echo "== salonq verify (the whole log in $data) =="
"$salonq" --data "$data" verify
