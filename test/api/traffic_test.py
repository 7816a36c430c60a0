#!/usr/bin/python3
"""`salonq traffic` (the living demo's driver) against a real `salonq serve` on a loopback port.

The driver runs 16 s at 2400x on a fresh data directory; after 6 s the server is stopped and started again on the
same port, and the driver must go on by itself (it retries with backoff). Both sides of the restart are hours of
simulated time, so even a loaded machine sees every kind of event on each. Then a second, shorter run continues the same
salons: what the first left being served gets completed. Every demo salon must have walk-ins, starts and completions
both before and after the restart; seed 3 makes riverside's first customer absent when called, so there is a skip;
serve's /metrics must show no 5xx in either life; the driver must exit 0 with no unexpected answers (it names them
on stderr); `salonq verify` must pass on the whole log.

Run by ctest (test traffic_demo, labels embedded and http) with Debian's /usr/bin/python3.
"""

import argparse
import collections
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SALONS = ["demo", "north", "riverside"]
SPEED = "2400"
SEED = "3"


def fail(message):
    sys.exit(f"traffic_test: {message}")


def salonq(binary, data, *args):
    run = subprocess.run([binary, "--data", str(data), *args], capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        fail(f"salonq {' '.join(args)} exited {run.returncode}: {run.stderr}{run.stdout}")
    return run.stdout


class Server:
    def __init__(self, binary, data, listen="127.0.0.1:0"):
        self.proc = subprocess.Popen([binary, "--data", str(data), "--log-level", "warn", "serve", "--listen", listen],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"salonq: serving (http://127\.0\.0\.1:(\d+)) ", line)
        if not m:
            self.proc.kill()
            fail(f"salonq serve did not say where it serves: {line!r}")
        self.url, self.port = m.group(1), m.group(2)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(timeout=60) != 0:
            fail("serve did not stop cleanly")


def server_errors(binary, data, url):
    """The 5xx answers serve's /metrics counts, as 'route method status count' lines."""
    token = salonq(binary, data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "5m").strip()
    req = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
    if "salonq_http_requests_total" not in text:
        fail("/metrics has no salonq_http_requests_total")
    return [line for line in text.splitlines()
            if line.startswith("salonq_http_requests_total") and re.search(r'status="5\d\d"', line)]


def event_counts(binary, data):
    """Events by salon and type, read beside the server (a read-only view of the log)."""
    counts = collections.defaultdict(collections.Counter)
    for line in salonq(binary, data, "events", "--no-rejections").splitlines():
        entry = json.loads(line)
        counts[entry["salonId"]][entry["type"]] += 1
    return counts


def traffic(binary, data, url, seconds):
    return subprocess.Popen([binary, "--data", str(data), "traffic", "--url", url, "--speed", SPEED, "--seed", SEED,
                             "--duration", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(driver, name):
    out, err = driver.communicate(timeout=120)
    if driver.returncode != 0:
        fail(f"{name}: the driver exited {driver.returncode}: {err}{out}")
    summary = re.search(r"^traffic stopped: (.*)$", out, re.M)
    if not summary:
        fail(f"{name}: no summary line in {out!r}")
    if not re.search(r"\b0 unexpected answers\b", summary.group(1)):
        fail(f"{name}: unexpected answers: {summary.group(1)}; stderr: {err}")
    print(f"{name}: {summary.group(1)}")
    return out, err


def grew(before, after, types, what):
    for salon in SALONS:
        for t in types:
            if after[salon][t] <= before[salon][t]:
                fail(f"{what}: no {t} in salon {salon} ({before[salon][t]} before, {after[salon][t]} after)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--salonq", required=True)
    args = parser.parse_args()
    binary = args.salonq
    flowing = ["ticket_issued", "service_started", "service_completed"]
    with tempfile.TemporaryDirectory(prefix="salonq-traffic-") as tmp:
        data = Path(tmp) / "data"
        server = Server(binary, data)
        driver = traffic(binary, data, server.url, 16)
        time.sleep(6)
        errors = server_errors(binary, data, server.url)
        server.stop()
        at_restart = event_counts(binary, data)
        grew(collections.defaultdict(collections.Counter), at_restart, flowing, "before the restart")
        time.sleep(1)  # the driver finds nobody there and backs off
        server = Server(binary, data, f"127.0.0.1:{server.port}")
        out, err = finish(driver, "first run")
        if "the server answers again" not in err:
            fail(f"the driver did not notice the restart: {err!r}")
        if not re.search(r"customer page of ticket \d+ at demo: http://127\.0\.0\.1:\d+/t/demo/\d+/[A-Za-z0-9_-]+$",
                         out, re.M):
            fail(f"no customer page link in {out!r}")
        after_first = event_counts(binary, data)
        grew(at_restart, after_first, flowing, "after the restart")

        # A second run on the same salons: what the first left being served is completed.
        token = salonq(binary, data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "5m").strip()
        left = {}
        for salon in SALONS:
            req = urllib.request.Request(f"{server.url}/v1/salons/{salon}/queue",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                left[salon] = [t["ticketId"] for t in json.loads(r.read())["serving"]]
        finish(traffic(binary, data, server.url, 6), "second run")
        for salon, tickets in left.items():
            for ticket in tickets:
                req = urllib.request.Request(f"{server.url}/v1/salons/{salon}/tickets/{ticket}",
                                             headers={"Authorization": f"Bearer {token}"})
                with urllib.request.urlopen(req, timeout=30) as r:
                    status = json.loads(r.read())["status"]
                if status != "completed":
                    fail(f"ticket {ticket} of {salon}, served when the first run ended, is {status}")
        print(f"second run: completed the {sum(map(len, left.values()))} services the first left open")
        errors += server_errors(binary, data, server.url)
        server.stop()

        total = event_counts(binary, data)
        grew(after_first, total, ["ticket_issued"], "the second run")
        skips = sum(total[s]["ticket_skipped"] for s in SALONS)
        if skips < 1:
            fail(f"no skip with seed {SEED}: {dict(total)}")
        if errors:
            fail("serve answered 5xx: " + "; ".join(errors))
        print("events: " + "; ".join(f"{s} {dict(total[s])}" for s in SALONS))
        verify = subprocess.run([binary, "--data", str(data), "verify"], capture_output=True, text=True, timeout=120)
        if verify.returncode != 0:
            fail(f"salonq verify failed: {verify.stdout}{verify.stderr}")
        print("traffic_test: ok")


if __name__ == "__main__":
    main()
