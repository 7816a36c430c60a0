#!/usr/bin/env python3
"""Runs clang-tidy-19 (config: .clang-tidy, every finding an error) over the C++ sources of build/.

    ops/tidy.py [--jobs N] [--no-cache] [file.cpp...]     (after ops/build.sh; default: every source)
    ops/tidy.py --record                                  (a full run; then writes ops/tidy-clean.txt)

Each source is checked in its own clang-tidy process, --jobs at a time (default: nproc). A result is kept in
build/tidy-cache/ under a key, a hash of everything that can change it: clang-tidy's version, the .clang-tidy files,
the file's compile command, its content and the content of every header it includes, the project's and the
system's (from ninja's dependency log; when that log is missing or older than the file, every project header, and
the versions of the packages ops/install-deps.sh installs). Paths inside the checkout are hashed relative to it, so
a key is the same in any clone. An unchanged file is not checked again; its stored findings are printed again.
Each finding is printed once (a header's shows up in every file including it).

ops/tidy-clean.txt, committed, lists the keys of files found clean by a full run (--record writes it when the run
is clean), each file under two keys: with the dependency information of this build and without it (ops/test.sh
builds in build/ only what some tiers run). A file whose key is listed is clean without a check: a fresh clone (CI)
checks only what changed since the list was recorded. A key covers all its file's inputs, so a stale list costs time, never a missed finding:
docs/design.md, "Build time".
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
TIDY_DB = BUILD / "tidy"
RECORD = ROOT / "ops" / "tidy-clean.txt"
# Packages whose headers or checks a result depends on: in a key only when a file's dependency log is missing.
PACKAGES = ["clang-tidy-19", "libstdc++-12-dev", "libboost1.81-dev", "librdkafka-dev", "librocksdb-dev",
            "libsimdjson-dev", "libfmt-dev", "doctest-dev", "libcli11-dev", "libssl-dev", "libjwt-dev",
            "libqrencode-dev", "libhowardhinnant-date-dev"]
# Sources that only another configuration compiles, so build/'s compile database lacks them: the ThreadSanitizer
# build's shim for librdkafka's C11 threads (build-tsan/). Any other source missing from it is a failure.
OTHER_BUILDS = {str(ROOT / "test/support/tsan_c11_threads.cpp")}
DIAG = re.compile(r"^(/[^:]+|[^/:][^:]*):\d+:\d+: (warning|error): ")


def git_files(*patterns):
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [ROOT / p for p in out.split()]


def rel(text):
    """A key is the same in every clone: paths inside the checkout are hashed relative to it."""
    return text.replace(str(ROOT) + os.sep, "@/").replace(str(ROOT), "@")


UNITY = re.compile(r"/Unity/unity_\d+_cxx\.cxx$")
UNITY_INCLUDE = re.compile(r'^#include "(.+)"$', re.M)


# GCC's own options in build/'s commands that clang does not know (an error under -Werror): CMakeLists.txt's
# unity-build warning switch.
GCC_ONLY = {"-Wno-subobject-linkage"}


def per_source(db):
    """build/'s compile database as arguments, one entry per source, without GCC-only options: a unity file
    (CMAKE_UNITY_BUILD) is split into its sources, each given the unity file's command on itself and keeping the unity
    object as its output, whose dependency log covers it."""
    out = []
    for e in db:
        args = [a for a in (shlex.split(e["command"]) if "command" in e else e["arguments"]) if a not in GCC_ONLY]
        f = os.path.normpath(Path(e["directory"]) / e["file"])
        if not UNITY.search(f):
            out.append({"directory": e["directory"], "file": e["file"], "arguments": args})
            continue
        at = [i for i, a in enumerate(args) if a == "-c" and i + 1 < len(args) and os.path.normpath(
            Path(e["directory"]) / args[i + 1]) == f]
        if len(at) != 1:
            raise SystemExit(f"tidy: no single '-c {f}' in its compile command: {args}")
        for src in UNITY_INCLUDE.findall(Path(f).read_text()):
            a = list(args)
            a[at[0] + 1] = src
            out.append({"directory": e["directory"], "file": src, "arguments": a})
    return out


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
    args = entry["arguments"]
    for i, a in enumerate(args[:-1]):
        if a == "-o":
            return os.path.normpath(Path(entry["directory"]) / args[i + 1])
    return None


def without_output(args):
    """The arguments less "-o OBJECT": a unity object's name changes when a batch is renumbered, the check does not."""
    return [a for i, a in enumerate(args) if a != "-o" and (i == 0 or args[i - 1] != "-o")]


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
    ap.add_argument("--record", action="store_true", help="after a clean full run, write " + str(RECORD.name))
    ap.add_argument("files", nargs="*")
    opt = ap.parse_args()
    if opt.record and opt.files:
        ap.error("--record takes no files: it records a full run")

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
    db = per_source(json.load(db_path.open()))
    TIDY_DB.mkdir(parents=True, exist_ok=True)  # clang-tidy -p: one entry per source
    (TIDY_DB / "compile_commands.json").write_text(json.dumps(db, indent=1))
    entries = {}
    for e in db:
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
        common.update(rel(config).encode() + h.file(config).encode())
    common = common.hexdigest()

    packages = None

    def package_versions():
        nonlocal packages
        if packages is None:
            packages = subprocess.run(["dpkg-query", "-W", *PACKAGES], capture_output=True, text=True).stdout
        return packages

    def key(f, e, without_deps=False):
        k = hashlib.sha256()
        k.update(common.encode())
        k.update(rel(json.dumps(without_output(e["arguments"]))).encode())
        k.update(rel(f).encode() + h.file(f).encode())
        obj = output_of(e)
        headers = None if without_deps or not obj else deps.get(obj)
        if headers is None or not os.path.exists(obj) or os.path.getmtime(obj) < os.path.getmtime(f):
            # no (fresh) dependency information: every project header counts, and the system's by package version
            headers = all_headers
            k.update(package_versions().encode())
        for d in sorted(set(headers), key=rel):  # in the same order in every clone
            if d != f and not d.endswith((".cpp", ".cxx")):  # a unity object's deps list its batch's sources
                k.update(rel(d).encode() + h.file(d).encode())
        return k.hexdigest()

    CACHE.mkdir(parents=True, exist_ok=True)
    keys = {f: key(f, e) for f, e in entries.items()}
    recorded = set() if opt.no_cache or not RECORD.exists() else set(RECORD.read_text().split())
    clean = json.dumps({"rc": 0, "out": "", "err": ""})
    for f in entries:  # a recorded key is a clean result: into the cache, as if checked here
        if keys[f] in recorded and not (CACHE / keys[f]).exists():
            (CACHE / keys[f]).write_text(clean)
    todo = [f for f in entries if opt.no_cache or not (CACHE / keys[f]).exists()]
    todo.sort(key=lambda f: -os.path.getsize(f))  # the biggest first: the last one to finish is a short one

    def check(f):
        t = time.monotonic()
        r = subprocess.run([TIDY, "-p", str(TIDY_DB), "--quiet", f], cwd=ROOT, capture_output=True, text=True)
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
    if opt.record and not (findings or failed or missing):
        # Each file also under its key without dependency information: ops/test.sh builds in build/ only what the
        # kafka, browser and ops tiers run, so most objects are missing there and their files take that key.
        both = set(keys.values()) | {key(f, e, without_deps=True) for f, e in entries.items()}
        RECORD.write_text("".join(f"{k}\n" for k in sorted(both)))
        print(f"tidy: recorded {len(entries)} clean files in {os.path.relpath(RECORD, ROOT)}")
    elif opt.record:
        print("tidy: not recorded: the run is not clean")
    cached = len(entries) - len(todo)
    print(f"tidy: {len(entries)} files ({cached} unchanged, from the cache), {len(findings)} findings, "
          f"{time.monotonic() - start:.0f} s")
    return 1 if findings or failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
