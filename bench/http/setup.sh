#!/usr/bin/env bash
# Prints the setup commands of the HTTP benchmark as JSON lines for `salonq submit`: the salons b0001..bNNNN
# (walk-in load and live screens) and the salon q (GET queue), each registered, configured (maxWaiting 2600, two
# services) and with STAFF staff on duty; q gets WAITING walk-ins (a realistic queue to read), each bNNNN B_WAITING.
#   bench/http/setup.sh SALONS STAFF WAITING [B_WAITING]
set -euo pipefail
salons=$1 staff=$2 waiting=$3 b_waiting=${4:-0}
actor='"actor":{"kind":"system","id":"bench"}'
salon() { # salon ID
    local s=$1
    printf '{"type":"register_salon","commandId":"%s-reg","salonId":"%s",%s,"payload":{"name":"Bench %s","timezone":"Europe/London"}}\n' "$s" "$s" "$actor" "$s"
    printf '{"type":"configure_salon","commandId":"%s-cfg","salonId":"%s",%s,"payload":{"maxWaiting":2600,"services":[{"code":"HC","name":"Haircut","priceCents":2500,"durationMin":30},{"code":"BT","name":"Beard trim","priceCents":1200,"durationMin":15}]}}\n' "$s" "$s" "$actor"
    local i
    for ((i = 1; i <= staff; i++)); do
        printf '{"type":"add_staff","commandId":"%s-st%d","salonId":"%s",%s,"payload":{"staffId":"st%d","name":"Staff %d","role":"staff"}}\n' "$s" "$i" "$s" "$actor" "$i" "$i"
        printf '{"type":"clock_in","commandId":"%s-ci%d","salonId":"%s",%s,"payload":{"staffId":"st%d"}}\n' "$s" "$i" "$s" "$actor" "$i"
    done
}
walk_ins() { # walk_ins SALON COUNT
    local i extra
    for ((i = 1; i <= $2; i++)); do
        extra=''
        if ((i % 3 == 0)); then extra=',"BT"'; fi
        printf '{"type":"walk_in","commandId":"%s-w%d","salonId":"%s",%s,"payload":{"customer":{"name":"Customer %d"},"services":["HC"%s]}}\n' "$1" "$i" "$1" "$actor" "$i" "$extra"
    done
}
for ((n = 1; n <= salons; n++)); do
    printf -v id "b%04d" "$n"
    salon "$id"
    walk_ins "$id" "$b_waiting"
done
salon q
walk_ins q "$waiting"
