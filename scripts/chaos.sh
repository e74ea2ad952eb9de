#!/usr/bin/env bash
# npm run chaos: bring the stack up if it is not (and leave it as it was found), then run the
# fault-injection scenarios (chaos/run.ts) against it. CHAOS_PROFILE=full|short, CHAOS_ONLY=a,b.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

stack_up_for_this_run
log "running the chaos scenarios (${CHAOS_PROFILE:-full})"
node --enable-source-maps dist/chaos/run.js
