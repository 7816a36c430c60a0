#!/usr/bin/env bash
# README command 2: installs what the tests need, builds, and runs the whole test suite:
#   1. the kafka (against a real broker started by ops/kafka), browser and ops tiers, in the main build (build/:
#      only the programs those tiers run; `ctest --test-dir build` after ops/build.sh runs every tier there),
#   2. the unit and embedded tiers under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/; the salonq
#      processes those tests start are build-asan/salonq): they run once, there, not also in build/ (docs/design.md,
#      "Build time"),
#   3. the kafka end-to-end and abort test cases again under ThreadSanitizer (build-tsan/; the engine workers they
#      start are build-tsan/salonq),
#   4. clang-format --dry-run -Werror over the sources, and ops/check_nodiscard.py (every function returning
#      std::expected is [[nodiscard]]),
#   5. clang-tidy-19 (.clang-tidy, every finding an error) over the sources (ops/tidy.py: in parallel, and only
#      the files whose content, headers, flags or config changed since the last run here or since the clean run
#      recorded in ops/tidy-clean.txt: docs/design.md, "Build time").
# Ends with one line "tests: N passed, M failed": every ctest test (each kafka test case is one, kafka_tests/<name>),
# the sanitizer runs' (and, for each, one check that no process wrote a sanitizer report), clang-format as one,
# the [[nodiscard]] check as one and clang-tidy as one. Exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

./ops/install-deps.sh || exit 1
./ops/kafka/install.sh || exit 1 # Apache Kafka from Maven Central, for the kafka tier
./ops/install-pytools.sh build/venv || exit 1 # schemathesis from PyPI, for the OpenAPI test (a venv, not the system)
./ops/install-browser.sh build/browser || exit 1 # chromium (apt) + playwright-core, axe-core (npm, pinned), for the browser tests
jobs=$(nproc)
passed=0
failed=0

count() { # $1 = ctest log: adds its totals
  local line total fails
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
  total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
  fails=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  passed=$((passed + total - fails)); failed=$((failed + fails))
}

echo "== build =="
if ! ./ops/build.sh salonq kafka_tests kafka_api_tests kafka_folds_tests kafka_notify_tests kafka_rebuild_tests; then
  echo "tests: 0 passed, 1 failed"; exit 1
fi

echo "== ctest (kafka, browser and ops tiers) =="
ctest --test-dir build --output-on-failure -j "$jobs" -L 'kafka|browser|ops' --timeout 1200 | tee build/ctest.log
count build/ctest.log

# configure DIR ARGS...: (re)configures a sanitizer build dir when it is new or its arguments changed.
configure() {
  local dir=$1; shift
  set -- "$@" "-DSALONQ_WERROR=${SALONQ_WERROR:-ON}"
  if [ ! -f "$dir/build.ninja" ] || [ "$(cat "$dir/.configured" 2>/dev/null)" != "$*" ]; then
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null && echo "$*" >"$dir/.configured"
  fi
}

# reports DIR NAME: every process of a sanitizer run writes its reports to DIR/reports (log_path), so that a report
# from a child whose output a test discards is seen too: any is one failure, and printed.
reports() {
  if [ -n "$(ls -A "$1/reports" 2>/dev/null)" ]; then
    echo "$2 reports:"; cat "$1"/reports/*; failed=$((failed + 1))
  else
    echo "$2 reports: none"; passed=$((passed + 1))
  fi
}

echo "== unit and embedded tests under ASan + UBSan =="
# -O1 (asserts kept): the embedded tests run child processes for minutes, 2-3x slower than build/ at that. -g1: the
# line tables a report's stack needs, without the types and variables (a fifth less compile time).
configure build-asan -DCMAKE_BUILD_TYPE=Debug '-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1' -DSALONQ_SANITIZE=ON -DSALONQ_UNIT_ONLY=OFF
if ninja -C build-asan salonq codec_tool view_tool unit_tests kafka_unit_tests crash_tests engine_tests cli_tests \
  auth_tests http_tests kafka_store_tests projections_unit_tests projections_tests replay_unit_tests replay_tests \
  stats_tests stats_store_tests notify_unit_tests notify_tests loyalty_unit_tests loyalty_tests traffic_unit_tests >/dev/null; then
  rm -rf build-asan/reports && mkdir -p build-asan/reports
  # Children killed on purpose die by SIGKILL (or _exit), which runs no leak check: detect_leaks stays on.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$PWD/build-asan/reports/asan \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$PWD/build-asan/reports/ubsan \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'unit|embedded' --timeout 1200 | tee build-asan/ctest.log
  count build-asan/ctest.log
  reports build-asan "ASan/UBSan"
else
  echo "ASan build failed"; failed=$((failed + 1))
fi

echo "== kafka worker under ThreadSanitizer =="
configure build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG' -DSALONQ_TSAN=ON
if ninja -C build-tsan salonq kafka_tests >/dev/null; then
  rm -rf build-tsan/reports && mkdir -p build-tsan/reports
  # A race ends the process at once with exit code 66: a worker's non-zero exit fails its test. The suppressions
  # are for Debian's uninstrumented librdkafka and RocksDB only (see the file).
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/ops/tsan.supp:log_path=$PWD/build-tsan/reports/tsan" \
    ctest --test-dir build-tsan --output-on-failure -L kafka --timeout 1200 \
    -R '^kafka_tests/(kafka: commands from kcat|kafka abort: )' | tee build-tsan/ctest.log
  count build-tsan/ctest.log
  reports build-tsan "TSan"
else
  echo "TSan build failed"; failed=$((failed + 1))
fi

echo "== clang-format =="
if git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 --dry-run -Werror; then
  echo "clang-format: clean"; passed=$((passed + 1))
else
  echo "clang-format: differences (run: git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 -i)"; failed=$((failed + 1))
fi

echo "== [[nodiscard]] on std::expected =="
if ./ops/check_nodiscard.py --self-test; then
  passed=$((passed + 1))
else
  echo "nodiscard: add [[nodiscard]] where listed (declarations in headers; definitions of file-local functions)"
  failed=$((failed + 1))
fi

echo "== clang-tidy =="
if ./ops/tidy.py --jobs "$jobs"; then
  echo "clang-tidy: clean"; passed=$((passed + 1))
else
  echo "clang-tidy: findings (fix them, or see .clang-tidy; one file: ops/tidy.py FILE.cpp)"; failed=$((failed + 1))
fi

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
