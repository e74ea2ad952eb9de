#!/usr/bin/env bash
# npm test: provision what is missing, bring the whole stack up (infrastructure, placement,
# scheduler, nine apps with sidecars), run the unit and integration suites with jest against
# the real components, and stop again whatever this run started. Extra args go to jest.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

stack_up_for_this_run
log "running jest"
results="$DATA_DIR/jest-results.json"
rm -f "$results"
status=0
# --forceExit: a test that leaks a handle (a server left open) must not hold CI until its time
# limit; the leak still shows as that test's failure or timeout.
npx jest --ci --forceExit --json --outputFile="$results" "$@" || status=$?
# One plain summary line that any CI reads: "Tests: N passed, N failed, N skipped".
if [ -f "$results" ]; then
  node -e 'const r=require(process.argv[1]); console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$results"
fi
exit $status
