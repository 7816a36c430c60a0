#!/usr/bin/env bash
# README command 2: installs what the tests need, builds, and runs the whole test suite:
#   1. every ctest tier of the main build (unit, embedded, kafka against a real broker started by ops/kafka),
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/),
#   3. clang-format --dry-run -Werror over the sources,
#   4. clang-tidy-19 (.clang-tidy, every finding an error) over the sources (ops/tidy.py: in parallel, and only
#      the files whose content, project headers, flags or config changed since the last run).
# Ends with one line "tests: N passed, M failed": every ctest test (each kafka test case is one, kafka_tests/<name>),
# the sanitizer run's, clang-format as one and clang-tidy as one. Exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

./ops/install-deps.sh || exit 1
./ops/kafka/install.sh || exit 1 # Apache Kafka from Maven Central, for the kafka tier
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
if ! ./ops/build.sh; then echo "tests: 0 passed, 1 failed"; exit 1; fi

echo "== ctest (all tiers) =="
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 1200 | tee build/ctest.log
count build/ctest.log

echo "== unit tests under ASan + UBSan =="
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSALONQ_SANITIZE=ON -DSALONQ_UNIT_ONLY=ON \
    -DSALONQ_WERROR="${SALONQ_WERROR:-ON}" >/dev/null
fi
if ninja -C build-asan >/dev/null; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit | tee build-asan/ctest.log
  count build-asan/ctest.log
else
  echo "sanitizer build failed"; failed=$((failed + 1))
fi

echo "== clang-format =="
if git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 --dry-run -Werror; then
  echo "clang-format: clean"; passed=$((passed + 1))
else
  echo "clang-format: differences (run: git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 -i)"; failed=$((failed + 1))
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
