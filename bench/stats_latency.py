#!/usr/bin/python3
"""Latency of GET /v1/salons/{salonId}/stats against a running `salonq serve`, one keep-alive connection, requests
one after another: a single day, a month and a whole year (366 days) of the salon's history. Prints p50, p90, p99
and max in milliseconds and the answer's size. Used by bench/stats_bench.sh."""

import argparse
import datetime
import http.client
import json
import time
import urllib.parse


def measure(conn, path, token, runs):
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - start) * 1000)
        assert r.status == 200, (r.status, body[:200])
        size = len(body)
    times.sort()
    at = lambda p: times[min(len(times) - 1, max(0, int(p * len(times) + 0.999) - 1))]
    return at(0.5), at(0.9), at(0.99), times[-1], size, json.loads(body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--salon", required=True)
    p.add_argument("--last", required=True, help="the last day of the history, YYYY-MM-DD")
    p.add_argument("--runs", type=int, default=200)
    a = p.parse_args()
    last = datetime.date.fromisoformat(a.last)
    u = urllib.parse.urlparse(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    cases = [("one day", f"day={last - datetime.timedelta(days=180)}"),
             ("31 days", f"from={last - datetime.timedelta(days=30)}&to={last}"),
             ("366 days", f"from={last - datetime.timedelta(days=365)}&to={last}")]
    print(f"{'request':<10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'bytes':>9} walk-ins")
    for name, query in cases:
        p50, p90, p99, most, size, body = measure(conn, f"/v1/salons/{a.salon}/stats?{query}", a.token, a.runs)
        walk_ins = sum(d["walkIns"] for d in body["days"])
        print(f"{name:<10} {p50:8.2f} {p90:8.2f} {p99:8.2f} {most:8.2f} {size:9} {walk_ins}")


if __name__ == "__main__":
    main()
