#!/usr/bin/env python3
"""Runs clang-tidy-19 (config: .clang-tidy, every finding an error) over the C++ sources of build/.

    ops/tidy.py [--jobs N] [--no-cache] [file.cpp...]     (after ops/build.sh; default: every source)

Each source is checked in its own clang-tidy process, --jobs at a time (default: nproc). A result is kept in
build/tidy-cache/ under a hash of what can change it: clang-tidy's version, the .clang-tidy files, the file's compile
command, its content and the content of every project header it includes (from ninja's dependency log; every
project header when that log is missing or older than the file). An unchanged file is not checked again; its
stored findings are printed again. Each finding is printed once (a header's shows up in every file including it).
Exit status 1 if there is any finding (or clang-tidy fails), 0 otherwise.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

TIDY = os.environ.get("SALONQ_CLANG_TIDY", "clang-tidy-19")
ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
CACHE = BUILD / "tidy-cache"
# Sources that only another configuration compiles, so build/'s compile database lacks them: the ThreadSanitizer
# build's shim for librdkafka's C11 threads (build-tsan/). Any other source missing from it is a failure.
OTHER_BUILDS = {str(ROOT / "test/support/tsan_c11_threads.cpp")}
DIAG = re.compile(r"^(/[^:]+|[^/:][^:]*):\d+:\d+: (warning|error): ")


def git_files(*patterns):
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [ROOT / p for p in out.split()]


def ninja_deps():
    """Object file (absolute) -> its headers (absolute), from ninja's log; only entries newer than their deps."""
    out = subprocess.run(["ninja", "-C", str(BUILD), "-t", "deps"], capture_output=True, text=True).stdout
    deps, current = {}, None
    for line in out.splitlines():
        if line and not line[0].isspace():
            obj, _, rest = line.partition(": #deps")
            current = None
            if "(VALID)" in rest:
                current = deps.setdefault(os.path.normpath(BUILD / obj), [])
        elif current is not None and line.strip():
            current.append(os.path.normpath(BUILD / line.strip()))
    return deps


class Hasher:
    def __init__(self):
        self.memo = {}

    def file(self, path):
        if path not in self.memo:
            try:
                self.memo[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                self.memo[path] = "missing"
        return self.memo[path]


def output_of(entry):
    args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
    for i, a in enumerate(args[:-1]):
        if a == "-o":
            return os.path.normpath(Path(entry["directory"]) / args[i + 1])
    return None


def blocks(text):
    """Splits clang-tidy output into findings: a diagnostic line and its notes/snippets up to the next one."""
    found, current = [], None
    for line in text.splitlines():
        if DIAG.match(line) and " note: " not in line:
            current = [line]
            found.append(current)
        elif current is not None:
            current.append(line)
    return ["\n".join(b) for b in found]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("files", nargs="*")
    opt = ap.parse_args()

    db_path = BUILD / "compile_commands.json"
    if not db_path.exists():
        print(f"tidy: {db_path} is missing: run ops/build.sh first", file=sys.stderr)
        return 2
    version = subprocess.run([TIDY, "--version"], capture_output=True, text=True)
    if version.returncode != 0:
        print(f"tidy: {TIDY} does not run (ops/install-deps.sh installs it)", file=sys.stderr)
        return 2

    wanted = {str(p) for p in (map(lambda f: Path(f).resolve(), opt.files) if opt.files else git_files("*.cpp"))}
    if not opt.files:
        wanted -= OTHER_BUILDS
    entries = {}
    for e in json.load(db_path.open()):
        f = os.path.normpath(Path(e["directory"]) / e["file"])
        if f in wanted:
            entries[f] = e
    missing = sorted(wanted - entries.keys())
    for f in missing:
        print(f"tidy: {os.path.relpath(f, ROOT)} is not in build/compile_commands.json (not built?)", file=sys.stderr)

    h = Hasher()
    deps = ninja_deps()
    all_headers = sorted(str(p) for p in git_files("*.hpp", "*.h"))
    common = hashlib.sha256()
    common.update(version.stdout.encode())
    for config in sorted(str(p) for p in git_files(".clang-tidy", "*/.clang-tidy")):
        common.update(config.encode() + h.file(config).encode())
    common = common.hexdigest()

    def key(f, e):
        k = hashlib.sha256()
        k.update(common.encode())
        k.update(e.get("command", json.dumps(e.get("arguments"))).encode())
        k.update(f.encode() + h.file(f).encode())
        obj = output_of(e)
        headers = deps.get(obj) if obj else None
        if headers is None or not os.path.exists(obj) or os.path.getmtime(obj) < os.path.getmtime(f):
            headers = all_headers  # no (fresh) dependency information: every project header counts
        for d in sorted(set(headers)):
            if d.startswith(str(ROOT) + os.sep) and d != f:
                k.update(d.encode() + h.file(d).encode())
        return k.hexdigest()

    CACHE.mkdir(parents=True, exist_ok=True)
    keys = {f: key(f, e) for f, e in entries.items()}
    todo = [f for f in entries if opt.no_cache or not (CACHE / keys[f]).exists()]
    todo.sort(key=lambda f: -os.path.getsize(f))  # the biggest first: the last one to finish is a short one

    def check(f):
        t = time.monotonic()
        r = subprocess.run([TIDY, "-p", str(BUILD), "--quiet", f], cwd=ROOT, capture_output=True, text=True)
        result = {"rc": r.returncode, "out": r.stdout, "err": r.stderr if r.returncode else ""}
        tmp = CACHE / f"{keys[f]}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(result))
        tmp.replace(CACHE / keys[f])
        return f, time.monotonic() - t

    start = time.monotonic()
    if todo:
        print(f"tidy: checking {len(todo)} of {len(entries)} files ({opt.jobs} at a time)", flush=True)
        with concurrent.futures.ThreadPoolExecutor(opt.jobs) as pool:
            for f, secs in pool.map(check, todo):
                print(f"  {os.path.relpath(f, ROOT)} ({secs:.1f} s)", flush=True)

    seen, findings, failed = set(), [], []
    for f in sorted(entries):
        result = json.loads((CACHE / keys[f]).read_text())
        found = blocks(result["out"])
        for b in found:
            first = b.splitlines()[0]
            if first not in seen:
                seen.add(first)
                findings.append(b)
        if result["rc"] != 0 and not found:  # failed without saying where: a crash, a bad flag
            failed.append((f, result["err"] or result["out"]))
    for b in findings:
        print(b)
    for f, err in failed:
        print(f"tidy: clang-tidy failed on {os.path.relpath(f, ROOT)}:\n{err}")

    if not opt.files:  # a full run: forget results no current file has
        used = set(keys.values())
        for p in CACHE.iterdir():
            if p.name not in used and not p.name.endswith(".tmp"):
                p.unlink()
    cached = len(entries) - len(todo)
    print(f"tidy: {len(entries)} files ({cached} unchanged, from the cache), {len(findings)} findings, "
          f"{time.monotonic() - start:.0f} s")
    return 1 if findings or failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
