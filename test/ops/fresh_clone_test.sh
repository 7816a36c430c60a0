#!/usr/bin/env bash
# README command 1 in a fresh clone leaves the tree clean: clones the source's HEAD, runs ops/run.sh --smoke there
# twice (it serves, tries its curl lines, stops; a second run goes on with the first one's log) and checks that `git status --porcelain` is empty, i.e. the demo's
# data and any build output land in git-ignored places.
#   test/ops/fresh_clone_test.sh SOURCE_DIR SALONQ_BINARY
# The clone's run uses the suite's salonq (SALONQ_RUN_BINARY) instead of building for minutes; what the skipped
# build would write, build/, is checked to be ignored too. Exit 77 (skipped) if SOURCE_DIR is not a git checkout.
set -euo pipefail
source_dir=$1
binary=$2

head=$(git -C "$source_dir" rev-parse HEAD 2>/dev/null) || { echo "not a git checkout: $source_dir"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/salonq-clone-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone -q "$source_dir" "$tmp/clone"
cd "$tmp/clone"
git checkout -q --detach "$head"

fail() { echo "FAILED: $*"; exit 1; }
for run in 1 2; do
  SALONQ_RUN_BINARY=$binary ./ops/run.sh --smoke --listen 127.0.0.1:0 >"$tmp/run$run.log" 2>&1 ||
    { cat "$tmp/run$run.log"; fail "ops/run.sh run $run"; }
  grep -q "^smoke: the curl lines work" "$tmp/run$run.log" || { cat "$tmp/run$run.log"; fail "run $run: the curl lines"; }
  grep -q "^verify: ok" "$tmp/run$run.log" || { cat "$tmp/run$run.log"; fail "run $run did not verify"; }
  status=$(git status --porcelain)
  [ -z "$status" ] || fail "after run $run, git status --porcelain shows:"$'\n'"$status"
done
grep -q "already set up by an earlier run" "$tmp/run2.log" || { cat "$tmp/run2.log"; fail "the second run did not go on with the first one's salon"; }
git check-ignore -q build/salonq || fail "build/ (what ops/build.sh writes) is not ignored"
echo "fresh clone of $head: git status clean after two runs of ops/run.sh"
