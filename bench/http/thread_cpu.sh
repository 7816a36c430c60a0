#!/usr/bin/env bash
# bench/http/thread_cpu.sh PID: the CPU time (user + system, clock ticks) each of a process's threads has used so
# far, summed by thread name ("salonq-http" for both HTTP threads; RocksDB's "rocksdb:low", "rocksdb:high" alike;
# the main thread, which runs HTTP too, as "salonq-http"), one "NAME TICKS" line each. Read from /proc, so it needs
# no perf: the HTTP benchmark takes it before and after a pass to split serve's CPU per walk-in by thread.
set -euo pipefail
pid=$1
for task in /proc/"$pid"/task/*; do
  # comm may hold spaces; stat's fields after ") " are fixed (utime 14, stime 15 of the whole line).
  name=$(cat "$task/comm" 2>/dev/null) || continue
  ticks=$(sed 's/^.*) //' "$task/stat" 2>/dev/null | awk '{ print $12 + $13 }') || continue
  case $name in
    rocksdb:*) name=${name%%[0-9]*} ;;
    salonq) name=salonq-http ;; # the main thread runs the io_context too
  esac
  echo "$name $ticks"
done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
