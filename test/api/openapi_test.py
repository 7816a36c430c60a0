#!/usr/bin/python3
"""The HTTP API's contract, schemas/openapi.yaml, against the server itself.

`routes`: the spec and the server's route table (`salonq routes`, printed from api::http::api_routes()) list the
same method + path pairs, and agree on each route: its summary, whether it needs a token (security), whether it
streams (101 and text/event-stream). Every {name} of a path is a declared path parameter; every operation answers
the errors every route can get (400, 413, 415, 429, 431, 503; 401 and 403 with a token); every command route takes
Idempotency-Key and If-Match; every $ref resolves (into the JSON Schemas beside the spec too).

`schemathesis`: a live `salonq serve` (127.0.0.1:0, rate limits off) with a salon set up over HTTP, an admin
token, and schemathesis (PyPI, pinned in ops/requirements-test.txt, installed into a virtual environment by
ops/install-pytools.sh) generating requests from the spec with every check on: no 5xx, no status, content type,
header or body the spec does not describe. Then the server still answers, stops cleanly on SIGTERM, and
`salonq verify` finds its log consistent.

Run by ctest (tests openapi_routes and openapi_schemathesis, labels embedded and http) with Debian's
/usr/bin/python3 and python3-yaml.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
ANY_ROUTE = {"400", "413", "415", "429", "431", "503"}
WITH_TOKEN = {"401", "403"}
COMMAND = {"200", "201", "202", "403", "404", "409", "412", "422"}


class Checker:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))
        return ok

    def finish(self, name: str) -> int:
        print(f"{name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


# -- routes ------------------------------------------------------------------------------------------------------


def server_routes(salonq: str) -> list[dict]:
    out = subprocess.run([salonq, "routes"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pointer(doc, ptr: str):
    for part in ptr.lstrip("/").split("/") if ptr.strip("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def check_refs(c: Checker, spec: dict, spec_path: Path) -> None:
    """Every $ref of the spec resolves: local ones in the spec, file ones in the JSON Schemas beside it."""
    files: dict[Path, object] = {}

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target, _, frag = ref.partition("#")
                try:
                    if target:
                        path = (spec_path.parent / target).resolve()
                        if path not in files:
                            files[path] = json.loads(path.read_text(encoding="utf-8"))
                        pointer(files[path], frag)
                    else:
                        pointer(spec, frag)
                    c.check(True, "")
                except (OSError, KeyError, IndexError, ValueError) as e:
                    c.check(False, f"{where}: $ref {ref} does not resolve", repr(e))
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(spec, "#")


def responses_of(spec: dict, op: dict) -> dict:
    out = {}
    for status, r in op.get("responses", {}).items():
        while "$ref" in r:
            r = pointer(spec, r["$ref"].partition("#")[2])
        out[str(status)] = r
    return out


def params_of(spec: dict, path_item: dict, op: dict) -> list[dict]:
    out = []
    for p in path_item.get("parameters", []) + op.get("parameters", []):
        while "$ref" in p:
            p = pointer(spec, p["$ref"].partition("#")[2])
        out.append(p)
    return out


def run_routes(args) -> int:
    c = Checker()
    spec_path = Path(args.spec)
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    routes = server_routes(args.salonq)
    c.check(len(routes) > 0, "salonq routes prints the route table")
    c.check(spec.get("openapi", "").startswith("3.1"), "the spec is OpenAPI 3.1", spec.get("openapi", ""))

    in_server = {(r["method"].lower(), r["path"]): r for r in routes}
    in_spec = {}
    for path, item in spec["paths"].items():
        for m in METHODS:
            if m in item:
                in_spec[(m, path)] = item[m]
    for key in sorted(in_server.keys() - in_spec.keys()):
        c.check(False, f"the server's route {key[0].upper()} {key[1]} is in the spec")
    for key in sorted(in_spec.keys() - in_server.keys()):
        c.check(False, f"the spec's {key[0].upper()} {key[1]} is a route of the server")
    c.check(len(in_spec) == len(in_server) and in_spec.keys() == in_server.keys(),
            f"spec and server list the same {len(in_server)} routes")

    common = json.loads((spec_path.parent / "common.schema.json").read_text(encoding="utf-8"))
    ticket = {k: v for k, v in common["$defs"]["ticketId"].items() if k != "description"}
    written_out = {"salonId": {"type": "string", "pattern": common["$defs"]["id"]["pattern"]},
                   "staffId": {"type": "string", "pattern": common["$defs"]["id"]["pattern"]},
                   "ticketId": ticket}
    global_security = spec.get("security", [])
    for (m, path), r in sorted(in_server.items()):
        op = in_spec.get((m, path))
        if op is None:
            continue
        label = f"{m.upper()} {path}"
        c.check(op.get("summary") == r["summary"], f"{label}: the spec's summary is the route's",
                f"{op.get('summary')!r} != {r['summary']!r}")
        security = op.get("security", global_security)
        needs_token = any("bearerAuth" in s for s in security)
        c.check(needs_token == (r["access"] == "token"),
                f"{label}: security says {'a token' if needs_token else 'no token'}, the route {r['access']}")
        responses = responses_of(spec, op)
        expected = ANY_ROUTE | (WITH_TOKEN if r["access"] == "token" else set())
        # A write tagged commands submits a command to the engine; the other writes (notifications' settings and
        # re-drives, admin's rebuilds) answer 404 of their own (and what their operations document).
        is_command = m in ("put", "post", "patch") and "commands" in op.get("tags", ["commands"])
        if m in ("put", "post", "patch") and not is_command:
            expected |= {"404"}
        if is_command:
            expected |= COMMAND
        missing = expected - responses.keys()
        c.check(not missing, f"{label}: documents {sorted(expected)}", f"missing {sorted(missing)}")
        if r["live"]:
            ok = "101" in responses and "text/event-stream" in responses.get("200", {}).get("content", {})
            c.check(ok, f"{label}: streams: 101 (WebSocket) and 200 text/event-stream")
        item = spec["paths"][path]
        params = params_of(spec, item, op)
        names = {p["name"] for p in params if p["in"] == "path"}
        wanted = set(re.findall(r"\{([^}]+)\}", path))
        c.check(names == wanted, f"{label}: path parameters {sorted(wanted)}", f"declared {sorted(names)}")
        for p in params:
            if p["in"] == "path":
                c.check(p.get("required") is True, f"{label}: path parameter {p['name']} is required")
            if p["in"] == "path" and "$ref" not in p["schema"]:
                # Written out rather than referenced (schemathesis binds values only to those): the same as
                # common.schema.json's.
                want = written_out.get(p["name"])
                got = {k: v for k, v in p["schema"].items() if k != "description"}
                c.check(want is None or got == want,
                        f"{label}: path parameter {p['name']} has common.schema.json's schema", f"{got} != {want}")
        if is_command:
            headers = {p["name"] for p in params if p["in"] == "header"}
            c.check({"Idempotency-Key", "If-Match"} <= headers, f"{label}: takes Idempotency-Key and If-Match")
            c.check("requestBody" in op, f"{label}: has a request body (the command's payload)")
    check_refs(c, spec, spec_path)
    return c.finish("openapi routes")


# -- schemathesis against a live server --------------------------------------------------------------------------


class Server:
    def __init__(self, salonq: str, data: Path):
        self.salonq = salonq
        self.data = data
        self.stderr = open(data.parent / "serve.stderr", "w+", encoding="utf-8")
        self.proc = subprocess.Popen(
            [salonq, "--data", str(data), "serve", "--listen", "127.0.0.1:0", "--client-rate", "0", "--token-rate",
             "0"],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"salonq: serving (http://127\.0\.0\.1:\d+) ", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"salonq serve did not say where it serves: {line!r}")
        self.url = m.group(1)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return -9
        return self.proc.returncode


def call(url: str, method: str, path: str, token: str, body=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def set_up_salon(url: str, token: str, salon: str) -> None:
    """A salon with services, an owner and a staff member on duty, tickets waiting and one in service."""
    steps = [
        ("PUT", f"/v1/salons/{salon}", {"name": "OpenAPI Salon", "timezone": "Europe/London"}, 201),
        ("PATCH", f"/v1/salons/{salon}/config",
         {"priorityDailyLimit": 20, "services": [{"code": "HC", "name": "Haircut", "priceCents": 2500,
                                                  "durationMin": 30},
                                                 {"code": "BT", "name": "Beard trim", "priceCents": 1200,
                                                  "durationMin": 15}]}, 200),
        ("POST", f"/v1/salons/{salon}/staff", {"staffId": "s1", "name": "Ana", "role": "owner"}, 201),
        ("POST", f"/v1/salons/{salon}/staff", {"staffId": "s2", "name": "Ben", "role": "staff"}, 201),
        ("POST", f"/v1/salons/{salon}/staff/s1/clock-in", None, 200),
        ("POST", f"/v1/salons/{salon}/staff/s2/clock-in", None, 200),
    ]
    for name in ("Cleo", "Dan", "Eve", "Finn", "Gus", "Hana"):
        steps.append(("POST", f"/v1/salons/{salon}/walk-ins", {"customer": {"name": name}, "services": ["HC"]}, 201))
    steps.append(("POST", f"/v1/salons/{salon}/start-next", {"staffId": "s1"}, 200))
    steps.append(("POST", f"/v1/salons/{salon}/tickets/3/skip", {"reason": "not in the shop"}, 200))
    for method, path, body, want in steps:
        status, answer = call(url, method, path, token, body)
        if status != want:
            raise RuntimeError(f"setting up the salon: {method} {path} answered {status} {answer}, not {want}")


CONFIG = """\
# Written by test/api/openapi_test.py for one run.
# Path parameters mostly name what exists (the salon set up, its staff), so that commands reach the engine.
[dictionaries.salons]
values = ["{salon}"]
[dictionaries.staff]
values = ["s1", "s2"]
[dictionaries.tickets]
values = [1, 2, 3, 4, 5, 6]

[parameters]
"path.salonId" = {{ dictionary = "salons", probability = 0.9 }}
"path.staffId" = {{ dictionary = "staff", probability = 0.8 }}
"path.ticketId" = {{ dictionary = "tickets", probability = 0.7 }}

# A request that fits the schemas may still be refused by the engine's business rules (an unknown time zone,
# a ticket not waiting, a stale If-Match): the spec documents those answers, they are not a failure.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]

# The live route streams only when asked to (Accept: text/event-stream; a WebSocket needs an upgrade). One event
# is enough; a stream resumed after the salon's seq sends nothing until the next change: stop waiting soon.
[[operations]]
include-operation-id = "getLive"
headers = {{ Accept = "text/event-stream" }}
max-stream-events = 1
request-timeout = 1

# The stats take one day or a range (both ends, from <= to, at most 366 days): rules between parameters that a
# schema cannot state. The 400 that names the parameter breaking one is documented; it is not a failure.
[[operations]]
include-operation-id = "getStats"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]

# The staffing advice learns from `weeks` or from a range (both ends, from <= to, at most 366 days, not with weeks):
# the same kind of rules between parameters, the same documented 400.
[[operations]]
include-operation-id = "getStaffing"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]

# A priority start needs a staff actor whose record says owner or manager: the owner's token, not the admin's.
[[operations]]
include-operation-id = "startPriority"
headers = {{ Authorization = "Bearer {owner_token}" }}
"""


def run_schemathesis(args) -> int:
    c = Checker()
    root = Path(__file__).resolve().parents[2]
    t0 = time.monotonic()
    subprocess.run([str(root / "ops" / "install-pytools.sh"), args.venv], check=True)
    schemathesis = Path(args.venv) / "bin" / "schemathesis"
    print(f"openapi schemathesis: tools ready in {time.monotonic() - t0:.1f} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="salonq-openapi-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        token = subprocess.run([args.salonq, "--data", str(data), "token", "issue", "--role", "admin",
                                "--all-salons", "--ttl", "1h"], check=True, capture_output=True,
                               text=True).stdout.strip()
        server = Server(args.salonq, data)
        try:
            salon = "openapi-1"
            set_up_salon(server.url, token, salon)
            owner = subprocess.run([args.salonq, "--data", str(data), "token", "issue", "--role", "owner",
                                    "--salon", salon, "--staff", "s1", "--ttl", "1h"], check=True,
                                   capture_output=True, text=True).stdout.strip()
            (tmp / "schemathesis.toml").write_text(CONFIG.format(salon=salon, owner_token=owner), encoding="utf-8")
            command = [str(schemathesis), "--config-file", str(tmp / "schemathesis.toml"), "run", args.spec,
                       "--url", server.url, "--header", f"Authorization: Bearer {token}",
                       "--checks", "all", "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                       "--request-timeout", "10", "--no-color", "--report", "junit",
                       "--report-junit-path", str(tmp / "junit.xml")]
            env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
            t1 = time.monotonic()
            run = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True,
                                 timeout=args.timeout)
            seconds = time.monotonic() - t1
            print((run.stdout + run.stderr).rstrip()[-60000:], flush=True)
            c.check(run.returncode == 0, f"schemathesis finds nothing the spec does not say "
                    f"(exit {run.returncode}, {seconds:.1f} s, seed {args.seed})")
            print(f"openapi schemathesis: the run took {seconds:.1f} s", flush=True)
            status, answer = call(server.url, "GET", "/healthz", token)
            c.check(status == 200, "the server still answers after the run", f"{status} {answer}")
        finally:
            code = server.stop()
        c.check(code == 0, "serve stops cleanly on SIGTERM", f"exit {code}")
        server.stderr.seek(0)
        log = server.stderr.read()
        fives = [line for line in log.splitlines() if re.search(r"status=5\d\d", line)]
        c.check(not fives, "the access log has no 5xx", "\n".join(fives[:10]))
        verify = subprocess.run([args.salonq, "--data", str(data), "verify"], capture_output=True, text=True)
        c.check(verify.returncode == 0, "salonq verify: the log the run wrote is consistent",
                verify.stdout[-2000:] + verify.stderr[-2000:])
    return c.finish("openapi schemathesis")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--salonq", required=True, help="the salonq binary")
    ap.add_argument("--spec", required=True, help="schemas/openapi.yaml")
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("routes", help="the spec and the route table list the same routes")
    st = sub.add_parser("schemathesis", help="schemathesis against a live server")
    st.add_argument("--venv", required=True, help="where ops/install-pytools.sh keeps schemathesis")
    st.add_argument("--max-examples", type=int, default=int(os.environ.get("SALONQ_OPENAPI_EXAMPLES", "25")))
    st.add_argument("--seed", type=int, default=int(os.environ.get("SALONQ_OPENAPI_SEED", "20261129")))
    st.add_argument("--timeout", type=int, default=420, help="seconds schemathesis may take")
    args = ap.parse_args()
    args.spec = str(Path(args.spec).resolve())
    args.salonq = str(Path(args.salonq).resolve())
    if args.what == "schemathesis":
        args.venv = str(Path(args.venv).resolve())
    return run_routes(args) if args.what == "routes" else run_schemathesis(args)


if __name__ == "__main__":
    sys.exit(main())
