#!/usr/bin/env bash
# Self-test of ops/kafka against real brokers: install, single broker (topics, keyed produce/consume
# with Java-compatible partitioning, transactional produce, restart), three-node cluster (RF 3,
# min.insync.replicas 2, produce/consume with one node down, node restart). Prints "N passed, M failed".
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/salonq-kafka-selftest.XXXXXX")"
single="$tmp/single" cluster="$tmp/cluster"
passed=0 failed=0

cleanup() {
  [ -d "$single" ] && "$here/broker.sh" kill "$single" >/dev/null 2>&1
  if [ -d "$cluster" ]; then
    for n in 1 2 3; do "$here/broker.sh" node kill "$cluster" "$n" >/dev/null 2>&1; done
  fi
  # last resort: any JVM started from our temp dir
  for pid in $(pgrep -f "kafka.Kafka $tmp/"); do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
ms() { date +%s%3N; }

# Java's DefaultPartitioner for a keyed record: toPositive(murmur2(key)) % n
java_partition() { # KEY N
  python3 - "$1" "$2" <<'PY'
import sys
def murmur2(data):
    m, r = 0x5bd1e995, 24
    h = (0x9747b28c ^ len(data)) & 0xffffffff
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff
        h ^= k
    rest, i = len(data) % 4, n4 * 4
    if rest == 3: h ^= data[i + 2] << 16
    if rest >= 2: h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h
print((murmur2(sys.argv[1].encode()) & 0x7fffffff) % int(sys.argv[2]))
PY
}

produce() { # BOOTSTRAP [extra kcat -X ...] < "key:value" lines
  local bs="$1"; shift
  kcat -b "$bs" -P -t salonq.commands -K: -X partitioner=murmur2_random -X acks=all \
    -X message.timeout.ms=60000 "$@" 2>"$tmp/kcat.err"
}
consume() { # BOOTSTRAP -> "key partition value" lines, sorted by key
  kcat -b "$1" -C -t salonq.commands -e -o beginning -q -f '%k %p %s\n' \
    -X isolation.level=read_committed 2>"$tmp/kcat.err" | sort
}
# every consumed record sits on the partition Java would pick
partitions_match() { # FILE NPARTITIONS
  local k p v
  [ -s "$1" ] || return 1
  while read -r k p v; do
    [ "$(java_partition "$k" "$2")" = "$p" ] || { echo "  key $k on partition $p, Java: $(java_partition "$k" "$2")"; return 1; }
  done <"$1"
}
no_jvm_left() { ! pgrep -f "kafka.Kafka $1" >/dev/null; }
rss_mb() { echo $(( $(ps -o rss= -p "$(cat "$1/pid")") / 1024 )); }

# ---- install ------------------------------------------------------------------------------------
t0=$(ms); check "install.sh" "$here/install.sh"; echo "     install: $(( $(ms) - t0 )) ms"
t0=$(ms); "$here/install.sh" >"$tmp/install2.out" 2>&1; t=$(( $(ms) - t0 ))
check "install.sh second run is a silent no-op (${t} ms)" test ! -s "$tmp/install2.out" -a "$t" -lt 1000

# ---- single broker ------------------------------------------------------------------------------
t0=$(ms); bs="$("$here/broker.sh" start "$single")"; rc=$?
echo "     single broker start-to-ready: $(( $(ms) - t0 )) ms"
check "single broker starts" test "$rc" = 0
check "bootstrap printed and written" test -n "$bs" -a "$bs" = "$(cat "$single/bootstrap" 2>/dev/null)"
[ "$rc" = 0 ] || { echo "$failed failed; giving up"; echo "$passed passed, $failed failed"; exit 1; }
check "listens on 127.0.0.1 only" grep -q '^listeners=PLAINTEXT://127.0.0.1:[0-9]*,CONTROLLER://127.0.0.1:[0-9]*$' "$single/server.properties"
echo "     single broker RSS after start: $(rss_mb "$single") MiB"

check "topics.sh creates topics" "$here/topics.sh" "$bs" 12 1
check "topics.sh is idempotent" "$here/topics.sh" "$bs" 12 1
"$here/topics.sh" "$bs" 6 1 2>"$tmp/topics.err"; rc=$?
check "topics.sh refuses a different partition count" test "$rc" != 0 -a -s "$tmp/topics.err"
meta="$(kcat -b "$bs" -L -t salonq.snapshots 2>/dev/null)"
check "salonq.snapshots has 12 partitions" grep -q 'topic "salonq.snapshots" with 12 partitions' <<<"$meta"

printf 'salon-1:hello\nsalon-42:world\nsalon-777:again\n' | produce "$bs"
check "kcat produces 3 keyed messages" test "${PIPESTATUS[1]}" = 0
consume "$bs" >"$tmp/c1"
check "kcat consumes the 3 messages back" test "$(wc -l <"$tmp/c1")" = 3
check "partitions equal Java's murmur2 choice" partitions_match "$tmp/c1" 12

printf 'salon-5:txn\n' | produce "$bs" -X transactional.id=selftest-txn
check "transactional produce (transaction coordinator works)" test "${PIPESTATUS[1]}" = 0
consume "$bs" >"$tmp/c1"
check "read_committed sees the transactional message" grep -q '^salon-5 [0-9]* txn$' "$tmp/c1"

t0=$(ms); bs2="$("$here/broker.sh" restart "$single")"; rc=$?
echo "     single broker restart: $(( $(ms) - t0 )) ms"
check "restart on the same port" test "$rc" = 0 -a "$bs2" = "$bs"
consume "$bs" >"$tmp/c2"
check "messages survive the restart" cmp -s "$tmp/c1" "$tmp/c2"
"$here/broker.sh" stop "$single"
check "stop" no_jvm_left "$single/"

# ---- three-node cluster -------------------------------------------------------------------------
t0=$(ms); bl="$("$here/broker.sh" cluster start "$cluster")"; rc=$?
echo "     cluster start-to-ready: $(( $(ms) - t0 )) ms"
check "cluster starts" test "$rc" = 0
check "bootstrap list has 3 entries" grep -Eq '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' <<<"$bl"
[ "$rc" = 0 ] || { echo "$passed passed, $failed failed"; exit 1; }
echo "     cluster RSS per node: $(rss_mb "$cluster/node1") / $(rss_mb "$cluster/node2") / $(rss_mb "$cluster/node3") MiB"
check "topics.sh with replication 3" "$here/topics.sh" "$bl" 12 3
three_replicas() {
  local meta i
  for i in 1 2 3 4 5; do # a metadata request can time out on a loaded machine: retry
    meta="$(kcat -b "$bl" -L -t salonq.events -m 5 2>&1)"
    [ "$(grep -Ec 'replicas: [123],[123],[123], isrs' <<<"$meta")" = 12 ] && return 0
    sleep 1
  done
  echo "$meta"
  return 1
}
check "salonq.events has 3 replicas per partition" three_replicas

t0=$(ms); "$here/broker.sh" node kill "$cluster" 2
check "node 2 killed" no_jvm_left "$cluster/node2/"
printf 'salon-1:one\nsalon-2:two\nsalon-3:three\n' | produce "$bl"
check "acks=all produce with one node down (min.insync.replicas=2)" test "${PIPESTATUS[1]}" = 0
echo "     produce with a node down took: $(( $(ms) - t0 )) ms (includes broker session timeout)"
consume "$bl" >"$tmp/c3"
check "consume with one node down" test "$(wc -l <"$tmp/c3")" = 3
check "cluster partitions equal Java's murmur2 choice" partitions_match "$tmp/c3" 12

t0=$(ms); "$here/broker.sh" node start "$cluster" 2 >/dev/null; rc=$?
echo "     node restart: $(( $(ms) - t0 )) ms"
check "node 2 restarts on the same port" test "$rc" = 0 -a "$(cat "$cluster/node2/bootstrap")" = "$(cut -d, -f2 <<<"$bl")"
consume "$(cat "$cluster/node2/bootstrap")" >"$tmp/c4"
check "restarted node serves the data" cmp -s "$tmp/c3" "$tmp/c4"

t0=$(ms); "$here/broker.sh" cluster stop "$cluster"
echo "     cluster stop: $(( $(ms) - t0 )) ms"
check "cluster stop leaves no JVM" no_jvm_left "$cluster/"
check "no stray kafka.Kafka JVM from this test" no_jvm_left "$tmp/"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
