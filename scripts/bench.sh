#!/usr/bin/env bash
# npm run bench: bring the stack up if it is not (and leave it as it was found), seed the data
# set on the first run, run every scenario with autocannon and write bench/results/latest.{json,md}.
# BENCH_SECONDS (10), BENCH_CONNECTIONS (50) and BENCH_ONLY (comma-separated scenario prefixes:
# baseline, product, search, cart, reservations, checkout, lag, mixed) tune a run.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

already_up=false
if pid_alive dapr-run && bash scripts/infra.sh status >/dev/null 2>&1; then already_up=true; fi
if [ "$already_up" = false ]; then trap 'bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true' EXIT; fi

bash scripts/up.sh >/dev/null
source scripts/stack-env.sh
log "running the benchmark"
node dist/bench/run.js
