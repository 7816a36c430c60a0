#!/usr/bin/env bash
# Installs what the screens' browser tests need: Debian's chromium (apt) and the npm packages pinned in
# test/browser/package-lock.json (playwright-core to drive it, axe-core to check accessibility) into a folder of the
# build, never the repository. Idempotent: a second run with the same lock file only checks a stamp.
#   ops/install-browser.sh [DIR]      (default build/browser; prints nothing when there is nothing to do)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build/browser}
lock=$root/test/browser/package-lock.json
want=$(cat "$root/test/browser/package.json" "$lock" | sha256sum | cut -d' ' -f1)

"$root/ops/install-deps.sh" chromium
command -v node >/dev/null && command -v npm >/dev/null || "$root/ops/install-deps.sh" nodejs npm

mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9 # two builds' tests may ask at once
if [ -d "$dir/node_modules/playwright-core" ] && [ "$(cat "$dir/.lock.sha256" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "ops/install-browser: installing test/browser's npm packages into $dir" >&2
cp "$root/test/browser/package.json" "$lock" "$dir/"
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$dir/.lock.sha256"
