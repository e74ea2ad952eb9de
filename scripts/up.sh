#!/usr/bin/env bash
# npm run up: provision what is missing, start the infrastructure, sentry, placement and scheduler,
# then all nine apps with their sidecars (`dapr run -f dapr.yaml`), and wait until every app
# answers /readyz. Idempotent: a second run only checks (and starts replicas SCALE adds).
#
# SCALE=gateway=2,cart=2,inventory=2,order=2 npm run up: replicas under the same app ids, one more
# `dapr run -f` per replica number (scripts/replicas.ts writes the run files; ports +100 per
# replica); with more than one gateway, nginx (scripts/infra/nginx.sh) owns :8000 in front of them.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/stack-env.sh"
cd "$ROOT"
started=$SECONDS

bash scripts/provision.sh
# Again: Sentry's root certificate exists only now on a first start (DAPR_TRUST_ANCHORS).
source "$ROOT/scripts/stack-env.sh"
[ -n "${DAPR_TRUST_ANCHORS:-}" ] || die "no Sentry root certificate in $SENTRY_DIR"

# A running stack keeps its scale when SCALE is not given (npm test on a scaled stack).
if [ -z "${SCALE+set}" ] && pid_alive dapr-run && [ -f "$RUN_DIR/scale" ]; then SCALE=$(cat "$RUN_DIR/scale"); fi
export SCALE="${SCALE:-}"
node dist/scripts/replicas.js plan || die "SCALE=${SCALE:-} is not a scale (see above)"
mapfile -t RUN_FILES <"$RUN_DIR/replicas/run-files"
behind_nginx=false
[ -s "$RUN_DIR/replicas/gateways" ] && behind_nginx=true
# Every instance's app port, "app:port" (replica 1's gateway is nginx's :8000 when it is behind it).
mapfile -t APPS < <(node -e 'for (const i of require(process.argv[1]).instances) console.log(`${i.app}:${i.appPort}`)' "$RUN_DIR/replicas/plan.json")

# run_name K: the pid-file name of replica K's `dapr run` (replica 1's keeps its old name).
run_name() { if [ "$1" = 1 ]; then echo dapr-run; else echo "dapr-run-$1"; fi; }
all_ready() {
  for entry in "${APPS[@]}"; do
    curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:${entry#*:}/readyz" || return 1
  done
}

if pid_alive dapr-run; then
  # Replica 1 cannot move its gateway under a running stack.
  was_behind=false
  [ -f "$RUN_DIR/gateway-behind-nginx" ] && was_behind=true
  [ "$was_behind" = "$behind_nginx" ] || die "the running stack has $([ "$was_behind" = true ] && echo several gateways || echo one gateway); npm run down before changing the gateway's SCALE"
fi
if [ "$behind_nginx" = true ]; then touch "$RUN_DIR/gateway-behind-nginx"; else rm -f "$RUN_DIR/gateway-behind-nginx"; fi
echo "$SCALE" >"$RUN_DIR/scale"

if all_ready && pid_alive dapr-run; then
  log "the stack is already up"
else
  for k in "${!RUN_FILES[@]}"; do
    name=$(run_name $((k + 1)))
    pid_alive "$name" && continue
    log "dapr run -f ${RUN_FILES[$k]#"$ROOT"/} (logs: apps/<app>/.dapr/logs, $LOG_DIR/$name.log)"
    setsid dapr run -f "${RUN_FILES[$k]}" >"$LOG_DIR/$name.log" 2>&1 < /dev/null &
    echo $! >"$RUN_DIR/$name.pid"
  done
  deadline=$((SECONDS + ${UP_TIMEOUT_SECONDS:-180}))
  until all_ready; do
    for k in "${!RUN_FILES[@]}"; do
      name=$(run_name $((k + 1)))
      pid_alive "$name" || die "dapr run -f ${RUN_FILES[$k]} exited (see $LOG_DIR/$name.log)"
    done
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${APPS[@]}"; do
        printf '  %-11s %-5s %s\n' "${entry%%:*}" "${entry#*:}" "$(curl -s --max-time 3 "http://127.0.0.1:${entry#*:}/readyz" || echo 'no answer')" >&2
      done
      die "not every app became ready (see apps/<app>/.dapr/logs)"
    fi
    sleep 1
  done
fi
# Behind nginx, the public :8000 is nginx's (a reload when it runs already: replicas may be new).
if [ "$behind_nginx" = true ]; then bash scripts/infra/nginx.sh install && bash scripts/infra/nginx.sh start; fi

log "all ${#APPS[@]} app instances are ready ($((SECONDS - started)) s)"
if [ ${#RUN_FILES[@]} -gt 1 ] || [ "$behind_nginx" = true ]; then
  log "replicas: $(node -e 'const s=require(process.argv[1]).scale; console.log(Object.entries(s).filter(([,n])=>n>1).map(([a,n])=>`${a}=${n}`).join(" "))' "$RUN_DIR/replicas/plan.json")$([ "$behind_nginx" = true ] && echo "; nginx on :8000 in front of the gateways (ports $(paste -sd, "$RUN_DIR/replicas/gateways"))") — every instance's ports: $RUN_DIR/replicas/plan.json"
fi
cat <<EOT
  gateway      http://localhost:8000   (public entry: /products /search /cart /orders /payments /inventory /promotions /auth /users)
  catalog      http://localhost:8001   search     http://localhost:8002   cart       http://localhost:8003
  order        http://localhost:8004   payment    http://localhost:8005   inventory  http://localhost:8006
  promotions   http://localhost:8007   user       http://localhost:8008
  each app: /healthz /readyz /metrics (the gateway's on :9190); sidecars: HTTP 3500-3508, metrics 9100-9108
  PostgreSQL $PG_HOST:$PG_PORT  Redis $REDIS_HOST:$REDIS_PORT  RabbitMQ $RABBITMQ_HOST:$RABBITMQ_PORT  Elasticsearch http://$ES_HOST:$ES_PORT  stripe-mock http://127.0.0.1:$STRIPE_MOCK_PORT
  SMTP smtp://127.0.0.1:$SMTP_PORT (every message a file in $DATA_DIR/mail/new)
  Prometheus http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (every app, sidecar, the control plane, RabbitMQ, PostgreSQL; alerts: README, Monitoring)
  Jaeger http://$JAEGER_HOST:$JAEGER_UI_PORT (traces over OTLP: one per request, a checkout's saga included)
  stop everything: npm run down
EOT
