#!/usr/bin/python3
"""A full disk under `salonq serve`: the process stays up, says it is not ready, loses and doubles nothing, and
takes commands again by itself once space is freed.

The data directory is on a 160 MiB tmpfs mounted in a mount namespace of this test's own (unshare -m), so nothing
outside sees it; where that is not allowed (not root, no namespaces) the test is skipped (exit 77). Steps:
1. serve on the tmpfs; `salonq traffic` sets up the demo salon; a walk-in is answered 201.
2. a filler file takes all but 16 KiB of the tmpfs; walk-ins are posted, each with its own Idempotency-Key, until
   /readyz answers 503 store_not_writable. Every answer must be 201, 202 or 503 (no other 5xx, no crash; before
   the fix, Debian's librocksdb aborted the process on its next LOG line).
3. the filler is removed: within 60 s /readyz is 200 again and a new walk-in is 201.
4. every walk-in posted is sent again with its key: each is now 200/201 with one ticket; no two keys share a
   ticket, no two waiting tickets share a token, and the queue shows them all.
5. SIGTERM: serve exits 0; `salonq verify` passes; the log holds exactly one walk-in per key.

Run by ctest (test disk_full, labels embedded and http) with Debian's /usr/bin/python3.
"""

import argparse
import ctypes
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
from serve_harness import salonq  # noqa: E402  (the command line, as the other Python checks run it)

SKIP = 77
SALON = "demo"


def fail(message):
    sys.exit(f"disk_full_test: {message}")


def enter_namespace():
    """Runs this script again in a mount namespace of its own; returns only inside it."""
    if os.environ.get("SALONQ_DISK_FULL_INSIDE") == "1":
        return
    if os.geteuid() != 0:
        print("disk_full_test: skipped: mounting a small tmpfs needs root")
        sys.exit(SKIP)
    namespace = ["unshare", "-m", "--propagation", "private", "--fork", "--kill-child"]
    # A tmpfs mounted and unmounted in a namespace of its own: where either is refused (no namespaces, a policy
    # against mounts), the test cannot run here.
    probe = subprocess.run([*namespace, "sh", "-c", 'd=$(mktemp -d) && mount -t tmpfs -o size=1M tmpfs "$d" && '
                            'umount "$d"; rc=$?; rmdir "$d"; exit $rc'], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"disk_full_test: skipped: no tmpfs in a mount namespace here ({probe.stderr.strip()})")
        sys.exit(SKIP)
    env = dict(os.environ, SALONQ_DISK_FULL_INSIDE="1")
    run = subprocess.run([*namespace, sys.executable, *sys.argv], env=env)
    sys.exit(run.returncode)


class Client:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def call(self, method, path, body=None, key=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")
        except (urllib.error.URLError, ConnectionError) as e:
            return 0, {"error": {"code": "unreachable", "message": str(e)}}

    def walk_in(self, key):
        return self.call("POST", f"/v1/salons/{SALON}/walk-ins", {"customer": {"name": f"Guest {key}"},
                                                                  "services": ["HC"]}, key)

    def ready(self):
        status, body = self.call("GET", "/readyz")
        return status, body.get("error", {}).get("code")


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    fail(f"{what}: not within {seconds} s")


def fill(mount, leave_bytes):
    filler = mount / "filler"
    stat = os.statvfs(mount)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "ab") as f:
        chunk = b"\0" * (1 << 20)
        left = max(0, free - leave_bytes)
        try:
            while left > 0:
                n = f.write(chunk[:min(len(chunk), left)])
                left -= n
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            pass  # full already: that is the point
    return filler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--salonq", required=True)
    args = parser.parse_args()
    enter_namespace()
    binary = args.salonq

    with tempfile.TemporaryDirectory(prefix="salonq-diskfull-") as tmp:
        mount = Path(tmp) / "small"
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160M", "tmpfs", str(mount)], check=True)
        try:
            run(binary, mount)
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)
    print("disk_full_test: ok")


def run(binary, mount):
    data = mount / "data"
    # RocksDB preallocates each WAL in blocks of ~70 MB where it can; a store that got one would write a long time
    # before it saw the disk full. Its stores open on a disk that has no such room (the filler is there first).
    fill(mount, 2 << 20)
    log_path = mount.parent / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([binary, "--data", str(data), "--log-level", "warn", "serve", "--listen",
                                   "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log, text=True,
                                  preexec_fn=die_with_parent)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 60)
        line = server.stdout.readline() if ready else ""
        m = re.match(r"salonq: serving (http://127\.0\.0\.1:\d+) ", line)
        if not m:
            fail(f"serve did not say where it serves within 60 s: {line!r}")
        checks(binary, data, mount, m.group(1), server)
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=60) != 0:
            fail(f"serve exited {server.returncode} at SIGTERM")
    except BaseException:
        print(log_path.read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    verify_log(binary, data)


def die_with_parent():
    """serve gets SIGKILL if this test dies first (prctl PR_SET_PDEATHSIG): no server outlives a killed test."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def checks(binary, data, mount, url, server):
    salonq(binary, data, "traffic", "--url", url, "--salons", SALON, "--speed", "600", "--duration", "2")
    token = salonq(binary, data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "30m").strip()
    c = Client(url, token)
    keys = []

    def post(key):
        keys.append(key)
        return c.walk_in(key)

    if post("before")[0] != 201:
        fail("a walk-in before the disk filled was not 201")

    filler = fill(mount, 16 << 10)
    answers = {}
    for i in range(150):  # the salon takes 200 waiting
        status, body = post(f"full-{i}")
        answers[status] = answers.get(status, 0) + 1
        if status not in (200, 201, 202, 503):
            fail(f"walk-in {i} on a full disk: {status} {body}")
        if status == 503 and (body["error"]["code"] != "unavailable" or str(mount) in body["error"]["message"]):
            fail(f"a walk-in refused on a full disk is 503 unavailable, naming no server path: {body}")
        if server.poll() is not None:
            fail(f"serve died on a full disk (exit {server.returncode})")
        if c.ready() == (503, "store_not_writable"):
            break
    else:
        fail(f"/readyz never said store_not_writable on a full disk (answers {answers})")
    print(f"disk_full_test: {len(keys) - 1} walk-ins posted until /readyz said so: {answers}")

    filler.unlink()

    def recovered():
        if server.poll() is not None:
            fail(f"serve died after the disk was full (exit {server.returncode})")
        return c.ready()[0] == 200

    wait_for("/readyz ready again after space was freed", recovered, 60)
    if post("after")[0] != 201:
        fail("a walk-in after space was freed was not 201")

    tickets = {}
    for key in keys:
        status, body = c.walk_in(key)
        if status not in (200, 201):
            fail(f"walk-in {key} sent again after recovery: {status} {body}")
        tickets[key] = (body["ticket"]["ticketId"], body["ticket"]["token"])
    ids = [t[0] for t in tickets.values()]
    if len(set(ids)) != len(ids):
        fail("two Idempotency-Keys were given the same ticket")
    _, queue = c.call("GET", f"/v1/salons/{SALON}/queue")
    waiting = {str(t["ticketId"]): t["token"] for t in queue_tickets(queue)}
    missing = [key for key, (tid, _) in tickets.items() if str(tid) not in waiting]
    if missing:
        fail(f"walk-ins missing from the queue after recovery: {missing[:5]} ({len(missing)})")
    tokens = list(waiting.values())
    if len(set(tokens)) != len(tokens):
        fail("two waiting tickets hold the same token")
    checks.walk_ins = len(keys)


def queue_tickets(queue):
    for section in ("waiting", "skipped", "serving"):
        yield from queue.get(section, [])


def verify_log(binary, data):
    out = salonq(binary, data, "verify")
    if "verify: ok" not in out:
        fail(f"salonq verify: {out}")
    walk_ins = 0
    for line in salonq(binary, data, "events", "--no-rejections", "--salon", SALON).splitlines():
        entry = json.loads(line)
        if entry["type"] == "ticket_issued" and entry.get("commandId", "").startswith(("before", "full-", "after")):
            walk_ins += 1
    if walk_ins != checks.walk_ins:
        fail(f"the log holds {walk_ins} walk-ins of this test, {checks.walk_ins} were posted")


if __name__ == "__main__":
    main()
