#!/usr/bin/env bash
# npm run bench: bring the stack up if it is not (and leave it as it was found), seed the data
# set on the first run, run every scenario with autocannon and write bench/results/latest.{json,md}.
# BENCH_SECONDS (10), BENCH_CONNECTIONS (50), BENCH_SHOPPERS (50, checkout) and BENCH_ONLY (comma-separated scenario prefixes:
# baseline, product, search, cart, reservations, checkout, lag, mixed) tune a run.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

stack_up_for_this_run
log "running the benchmark"
node dist/bench/run.js
