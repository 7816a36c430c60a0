#!/usr/bin/env python3
"""The disk's own latency floor for a durable walk-in: fdatasync after appending 4 KiB (about one group commit's
WAL record), as often as possible for SECONDS, in DIR (the server's data directory's file system).
Prints "p50 p90 p99" in milliseconds.    bench/http/fsync_probe.py DIR SECONDS"""
import os
import sys
import tempfile
import time

directory, seconds = sys.argv[1], float(sys.argv[2])
fd, path = tempfile.mkstemp(dir=directory, prefix="fsync-probe-")
try:
    latencies = []
    block = b"x" * 4096
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        os.write(fd, block)
        start = time.perf_counter()
        os.fdatasync(fd)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{at(0.50):.2f} {at(0.90):.2f} {at(0.99):.2f}")
finally:
    os.close(fd)
    os.unlink(path)
