#!/usr/bin/env bash
# Configures and builds salonq into build/ (Ninja, ccache). Idempotent and incremental.
#   ops/build.sh [target...]       SALONQ_WERROR=ON in CI (CI=true) or when set.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=${SALONQ_WERROR:-$([ "${CI:-}" = "true" ] && echo ON || echo OFF)}
if [ ! -f build/build.ninja ] || [ "$(grep -c "SALONQ_WERROR:BOOL=$werror" build/CMakeCache.txt 2>/dev/null)" = "0" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSALONQ_WERROR="$werror" >/dev/null
fi
ninja -C build "$@"
