#!/usr/bin/env python3
"""Walk-in latency over time, from salonq serve's access log (--log-level info), for a paced wrk run of
bench/http/load.lua: its commandIds are TAG-THREAD-N, and slot N of a thread leaves at N x THREADS / RATE seconds
after the start, so each answer's latency is placed at its slot's time. Prints the overall p50 / p99 and, per 100 ms
window, the median / max latency in ms (ten windows a line): a stall shows as a run of high windows, a periodic one
as a column.
    bench/http/timeline.py ACCESS_LOG TAG RATE THREADS"""
import collections
import re
import sys

log, tag, rate, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
pattern = re.compile(r"latencyUs=(\d+).*commandId=" + re.escape(tag) + r"-(\d+)-(\d+)")
windows = collections.defaultdict(list)  # 100 ms window -> latencies, ms
with open(log, encoding="utf-8", errors="replace") as lines:
    for line in lines:
        m = pattern.search(line)
        if m:
            sent = int(m.group(3)) * threads / rate
            windows[int(sent * 10)].append(int(m.group(1)) / 1000)
every = sorted(v for w in windows.values() for v in w)
if not every:
    sys.exit(f"timeline.py: no answers tagged {tag} in {log}")
at = lambda values, q: values[min(len(values) - 1, int(q * len(values)))]
print(f"{len(every)} walk-ins: p50 {at(every, 0.5):.1f} ms, p99 {at(every, 0.99):.1f} ms, max {every[-1]:.1f} ms")
print("per 100 ms window, median/max ms; a line is one second:")
keys = sorted(windows)
for first in range(0, len(keys), 10):
    row = []
    for k in keys[first:first + 10]:
        values = sorted(windows[k])
        row.append(f"{at(values, 0.5):3.0f}/{values[-1]:<3.0f}")
    print(f"  {keys[first] / 10:5.1f}s " + " ".join(row))
