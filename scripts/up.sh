#!/usr/bin/env bash
# npm run up: provision what is missing, start the infrastructure, sentry, placement and scheduler,
# then all nine apps with their sidecars (`dapr run -f dapr.yaml`), and wait until every app
# answers /readyz. Idempotent: a second run only checks.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/stack-env.sh"
cd "$ROOT"
started=$SECONDS

APPS=(gateway:8000 catalog:8001 search:8002 cart:8003 order:8004 payment:8005 inventory:8006 promotions:8007 user:8008)

all_ready() {
  for entry in "${APPS[@]}"; do
    curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:${entry#*:}/readyz" || return 1
  done
}

bash scripts/provision.sh
# Again: Sentry's root certificate exists only now on a first start (DAPR_TRUST_ANCHORS).
source "$ROOT/scripts/stack-env.sh"
[ -n "${DAPR_TRUST_ANCHORS:-}" ] || die "no Sentry root certificate in $SENTRY_DIR"

if pid_alive dapr-run && all_ready; then
  log "the stack is already up"
else
  if ! pid_alive dapr-run; then
    log "dapr run -f dapr.yaml (logs: apps/<app>/.dapr/logs, $LOG_DIR/dapr-run.log)"
    setsid dapr run -f dapr.yaml >"$LOG_DIR/dapr-run.log" 2>&1 < /dev/null &
    echo $! >"$RUN_DIR/dapr-run.pid"
  fi
  deadline=$((SECONDS + ${UP_TIMEOUT_SECONDS:-180}))
  until all_ready; do
    pid_alive dapr-run || die "dapr run exited (see $LOG_DIR/dapr-run.log)"
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${APPS[@]}"; do
        printf '  %-11s %s\n' "${entry%%:*}" "$(curl -s --max-time 3 "http://127.0.0.1:${entry#*:}/readyz" || echo 'no answer')" >&2
      done
      die "not every app became ready (see apps/<app>/.dapr/logs)"
    fi
    sleep 1
  done
fi

log "all nine apps are ready ($((SECONDS - started)) s)"
cat <<EOT
  gateway      http://localhost:8000   (public entry: /products /search /cart /orders /payments /inventory /promotions /auth /users)
  catalog      http://localhost:8001   search     http://localhost:8002   cart       http://localhost:8003
  order        http://localhost:8004   payment    http://localhost:8005   inventory  http://localhost:8006
  promotions   http://localhost:8007   user       http://localhost:8008
  each app: /healthz /readyz /metrics (the gateway's on :9190); sidecars: HTTP 3500-3508, metrics 9100-9108
  PostgreSQL $PG_HOST:$PG_PORT  Redis $REDIS_HOST:$REDIS_PORT  RabbitMQ $RABBITMQ_HOST:$RABBITMQ_PORT  Elasticsearch http://$ES_HOST:$ES_PORT  stripe-mock http://127.0.0.1:$STRIPE_MOCK_PORT
  SMTP smtp://127.0.0.1:$SMTP_PORT (every message a file in $DATA_DIR/mail/new)
  Prometheus http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (every app, sidecar, the control plane, RabbitMQ, PostgreSQL; alerts: README, Monitoring)
  Zipkin http://$ZIPKIN_HOST:$ZIPKIN_PORT (one trace per request, a checkout's saga included)
  stop everything: npm run down
EOT
