#!/usr/bin/env bash
# Configures and builds salonq into build/ (Ninja, ccache). Idempotent and incremental.
#   ops/build.sh [target...]       warnings are errors unless SALONQ_WERROR=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=${SALONQ_WERROR:-ON}
if [ ! -f build/build.ninja ] || [ "$(grep -c "SALONQ_WERROR:BOOL=$werror" build/CMakeCache.txt 2>/dev/null)" = "0" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSALONQ_WERROR="$werror" >/dev/null
fi
ninja -C build "$@"
