#!/usr/bin/env bash
# Installs the Python tools the tests run (schemathesis, for the OpenAPI test) into a virtual environment, at the
# versions pinned in ops/requirements-test.txt, from PyPI. Never touches the system's Python. Idempotent: a second
# run with the same requirements only checks a stamp; a changed requirements file reinstalls.
#   ops/install-pytools.sh [VENV]      (default build/venv; prints nothing when there is nothing to do)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/build/venv}
requirements=$root/ops/requirements-test.txt
want=$(sha256sum "$requirements" | cut -d' ' -f1)

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9 # two builds' tests may ask at once

if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "ops/install-pytools: installing ops/requirements-test.txt into $venv" >&2
rm -rf "$venv"
# Debian's python3 with python3-venv (ops/install-deps.sh), not whatever python3 is first on PATH.
/usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
echo "$want" >"$venv/.requirements.sha256"
