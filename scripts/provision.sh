#!/usr/bin/env bash
# Everything `up` and `test` need on this machine, each step skipped when already satisfied:
# Node packages, the TypeScript build, Dapr (runtime + CLI), then the infrastructure services
# (PostgreSQL, Redis, RabbitMQ, stripe-mock, the SMTP server, Elasticsearch) started, then placement + scheduler.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

stamp="$RUN_DIR/npm-ci.stamp"
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >"$LOG_DIR/npm-ci.log" 2>&1 || die "npm ci failed (see $LOG_DIR/npm-ci.log)"
  touch "$stamp"
fi
log "building TypeScript"
npx tsc -p tsconfig.build.json || die "the TypeScript build failed"

bash scripts/provision/dapr.sh
bash scripts/infra.sh up
bash scripts/infra/dapr-control-plane.sh start
