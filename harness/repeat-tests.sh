#!/usr/bin/env bash
# Runs built test files again and again, as `npm test` runs them (node --test --test-concurrency=1), and
# stops at the first run that fails: how a flaky test is found, and how a suite shows it has none.
#
#   npm run build && bash harness/repeat-tests.sh 20 dist/test/system/*.test.js dist/test/system/browser/*.test.js
#
# Uses the `node` first on PATH. Each run's output is kept in REPEAT_LOG_DIR (a new temporary folder by
# default); a failing run's failures are printed, and the exit status is 1.
set -euo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash harness/repeat-tests.sh RUNS FILE..." >&2
  exit 2
fi
runs=$1
shift
logs=${REPEAT_LOG_DIR:-$(mktemp -d -t babyjit-repeat-XXXXXX)}
mkdir -p "$logs"

seconds_since() { awk -v from="$1" -v to="$EPOCHREALTIME" 'BEGIN { printf "%.1f", to - from }'; }

echo "repeat-tests: $runs runs of $# test file(s) on node $(node --version), logs in $logs"
started=$EPOCHREALTIME
for ((run = 1; run <= runs; run += 1)); do
  log="$logs/run-$run.log"
  run_started=$EPOCHREALTIME
  if node --test --test-concurrency=1 "$@" >"$log" 2>&1; then
    summary=$(grep -E '^(# |ℹ )(tests|pass|fail|skipped) ' "$log" | sed -E 's/^(# |ℹ )//' | paste -sd ' ')
    echo "run $run/$runs passed in $(seconds_since "$run_started") s ($summary)"
  else
    echo "run $run/$runs FAILED after $(seconds_since "$run_started") s; $((run - 1)) runs passed before it, in $(seconds_since "$started") s"
    grep -E -A 30 '^(✖ failing tests:|not ok )' "$log" | head -120 || tail -80 "$log"
    echo "the whole output: $log"
    exit 1
  fi
done
echo "repeat-tests: $runs of $runs runs passed, 0 failed, in $(seconds_since "$started") s"
