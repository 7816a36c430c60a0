"""What the Python cross-checks of the HTTP read side share: the salonq command line, a real `salonq serve` on a
free loopback port, an authenticated GET, and durations in the reports' units. Imported by stats_replay_test.py
and staffing_replay_test.py (beside them, so on their sys.path) and by test/ops/disk_full_test.py."""

import json
import re
import signal
import subprocess
import sys
import urllib.request


def salonq(binary, data, *args):
    run = subprocess.run([binary, "--data", str(data), *args], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        sys.exit(f"salonq {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run.stdout


class Server:
    def __init__(self, binary, data):
        self.proc = subprocess.Popen([binary, "--data", str(data), "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"salonq: serving (http://127\.0\.0\.1:\d+) ", line)
        if not m:
            self.proc.kill()
            sys.exit(f"salonq serve did not say where it serves: {line!r}")
        self.url = m.group(1)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0, "serve did not stop cleanly"


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def minutes(ms):
    """A duration as the reports print it: minutes with one decimal, none for no value."""
    return None if ms is None else float(f"{ms / 60000:.1f}")
