#!/usr/bin/env bash
# README command 1: installs what salonq needs, builds it, and serves it in embedded mode (no broker): the engine
# and the HTTP API in one process on 127.0.0.1:8080, with a demo salon set up, a ready token per role and a few
# curl lines to try. Runs until Ctrl-C, then stops the server cleanly and verifies the whole log.
#   ops/run.sh [--data DIR] [--listen HOST:PORT] [--smoke]
#     --data    the log and the keyring (default var/salonq-data, git-ignored; a second run goes on with it,
#               rm -rf var/ starts afresh)
#     --listen  where to serve (default 127.0.0.1:8080; port 0: any free one)
#     --smoke   try the curl lines itself, then stop (what the test suite's fresh-clone test runs)
# SALONQ_RUN_BINARY=PATH skips the build and runs that salonq (the fresh-clone test points it at the suite's).
set -euo pipefail
cd "$(dirname "$0")/.."

data=var/salonq-data
listen=127.0.0.1:8080
smoke=false
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
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

# The server, in the background; its first line says where it listens.
out=$(mktemp "${TMPDIR:-/tmp}/salonq-run-XXXXXX")
"$salonq" --data "$data" --log-level warn serve --listen "$listen" >"$out" &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  rm -f "$out"
}
trap stop_server EXIT
for _ in $(seq 300); do
  grep -q "serving http://" "$out" && break
  kill -0 "$server" 2>/dev/null || { echo "ops/run.sh: salonq serve did not start" >&2; exit 1; }
  sleep 0.1
done
url=$(grep -o "http://[^ ]*" "$out" | head -1)
[ -n "$url" ] || { echo "ops/run.sh: salonq serve did not say where it listens" >&2; exit 1; }

token() { "$salonq" --data "$data" token issue --ttl 12h "$@" 2>/dev/null; }
admin=$(token --role admin --all-salons)
pos=$(token --role pos --salon demo --sub front-desk)
staff=$(token --role staff --salon demo --staff sam)
manager=$(token --role manager --salon demo --staff max)
owner=$(token --role owner --salon demo --staff ana)
dashboard=$(token --role dashboard --salon demo)
analyst=$(token --role analyst --salon demo)

# call METHOD PATH [BODY] with the admin token: prints the status.
call() {
  curl -s -o /dev/null -w '%{http_code}' -X "$1" "$url$2" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}
if [ "$(call PUT /v1/salons/demo '{"name":"Demo Cuts","timezone":"Europe/London"}')" = 201 ]; then
  call PATCH /v1/salons/demo/config '{"services":[{"code":"HC","name":"Haircut","priceCents":2500,"durationMin":30},{"code":"BT","name":"Beard trim","priceCents":1200,"durationMin":15}]}' >/dev/null
  for who in 'ana Ana owner' 'max Max manager' 'sam Sam staff'; do
    set -- $who
    call POST /v1/salons/demo/staff "{\"staffId\":\"$1\",\"name\":\"$2\",\"role\":\"$3\"}" >/dev/null
    call POST "/v1/salons/demo/staff/$1/clock-in" >/dev/null
  done
  echo "demo salon 'demo': registered, with a catalogue and three staff on duty"
else
  echo "demo salon 'demo': already set up by an earlier run (data in $data)"
fi

walk_in="curl -s -X POST $url/v1/salons/demo/walk-ins -H \"Authorization: Bearer \$POS\" -H 'Content-Type: application/json' -d '{\"customer\":{\"name\":\"Ana\"},\"services\":[\"HC\"]}'"
start="curl -s -X POST $url/v1/salons/demo/start-next -H \"Authorization: Bearer \$STAFF\" -H 'Content-Type: application/json' -d '{\"staffId\":\"sam\"}'"
metrics="curl -s $url/metrics -H \"Authorization: Bearer \$ADMIN\""
cat <<TEXT

salonq serves $url (embedded mode, data in $data). Tokens, valid 12 hours:
  export ADMIN=$admin
  export POS=$pos
  export STAFF=$staff
  export MANAGER=$manager
  export OWNER=$owner
  export DASHBOARD=$dashboard
  export ANALYST=$analyst
Try:
  $walk_in
  $start
  $metrics
Ctrl-C stops it.
TEXT

if $smoke; then
  export POS=$pos STAFF=$staff ADMIN=$admin
  answer=$(eval "$walk_in")
  grep -q '"status":"accepted"' <<<"$answer" || { echo "ops/run.sh: the walk-in failed: $answer" >&2; exit 1; }
  answer=$(eval "$start") # decided either way: sam may still be serving an earlier run's customer
  grep -Eq '"status":"(accepted|rejected)"' <<<"$answer" || { echo "ops/run.sh: start failed: $answer" >&2; exit 1; }
  scraped=$(eval "$metrics")
  grep -q '^salonq_http_requests_total' <<<"$scraped" || { echo "ops/run.sh: /metrics failed" >&2; exit 1; }
  echo "smoke: the curl lines work"
else
  trap 'echo; echo "stopping..."' INT
  wait "$server" || true
fi
stop_server
trap - EXIT
echo
echo "== salonq verify (the whole log in $data) =="
"$salonq" --data "$data" verify
