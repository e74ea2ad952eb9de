#!/usr/bin/env bash
# npm run bench: every scenario with autocannon at each scale in BENCH_SCALES ("1 2" by default:
# each app once, then BENCH_SCALE_2 replicas), writing bench/results/scale-1.* and scale-2.*
# (and latest.*: the last run). The stack is brought to each scale (npm run down and up when the
# scale differs) and left as it was found: stopped again, or back at the scale it ran with.
# The data set is seeded on the first run. BENCH_SECONDS (10), BENCH_CONNECTIONS (50),
# BENCH_SHOPPERS (50, checkout), BENCH_POLL_MS (10: how often a checkout shopper asks for its
# order) and BENCH_ONLY (comma-separated scenario prefixes: baseline, product, search, cart,
# reservations, checkout, lag, mixed) tune a run; BENCH_SCALES=1 runs one.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCALE_2=${BENCH_SCALE_2:-gateway=2,catalog=2,cart=2,inventory=2,order=2}
was_up=false
found_scale=""
if pid_alive dapr-run; then was_up=true; found_scale=$(cat "$RUN_DIR/scale" 2>/dev/null || true); fi

# at_scale SPEC: the stack up at exactly this scale (empty: each app once).
at_scale() {
  local current=""
  if pid_alive dapr-run; then
    current=$(cat "$RUN_DIR/scale" 2>/dev/null || true)
    [ "$current" = "$1" ] || { log "restarting the stack at scale '${1:-1}'"; bash scripts/down.sh >/dev/null; }
  fi
  SCALE="$1" bash scripts/up.sh >/dev/null
}

leave_as_found() {
  if [ "$was_up" = false ]; then bash scripts/down.sh >/dev/null 2>&1 || true
  else at_scale "$found_scale" || true; fi
}
trap leave_as_found EXIT

for scale in ${BENCH_SCALES:-1 2}; do
  case $scale in
    1) spec="" ;;
    2) spec=$SCALE_2 ;;
    *) die "BENCH_SCALES: 1 or 2, not $scale" ;;
  esac
  at_scale "$spec"
  source "$ROOT/scripts/stack-env.sh"
  log "running the benchmark at scale ${spec:-1}"
  node dist/bench/run.js
done
