#!/usr/bin/env bash
# Project-owned Prometheus (Debian's prometheus and prometheus-postgres-exporter packages, our
# own configuration and data), on loopback.
#   scripts/infra/prometheus.sh install|start|stop|status
# Prometheus on $PROMETHEUS_HOST:$PROMETHEUS_PORT (the seed's :9090) scrapes every app's
# /metrics, every sidecar's metrics port, placement, scheduler and sentry, RabbitMQ (its
# rabbitmq_prometheus plugin, scripts/infra/rabbitmq.sh) and PostgreSQL (the exporter, on
# $PG_EXPORTER_PORT). The rules (charts/dapr-commerce/files/prometheus/rules.yml, also shipped
# in the chart) are loaded as they are. Data: $DATA_DIR/prometheus (2 days); logs:
# $LOG_DIR/prometheus.log and postgres-exporter.log. A system instance started by the package
# install is stopped again.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=prometheus
EXPORTER=postgres-exporter
PROM_DIR="$DATA_DIR/prometheus"
CONF="$PROM_DIR/prometheus.yml"
RULES="$ROOT/charts/dapr-commerce/files/prometheus/rules.yml"
LOG_FILE="$LOG_DIR/$NAME.log"
EXPORTER_LOG="$LOG_DIR/$EXPORTER.log"
START_TIMEOUT=${PROMETHEUS_START_TIMEOUT:-60}

prometheus_pids() { pgrep -x prometheus 2>/dev/null || true; }

cmd_install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v prometheus-postgres-exporter >/dev/null && return 0
  local before after p
  before=$(prometheus_pids)
  apt_install prometheus prometheus-postgres-exporter 9>&-
  after=$(prometheus_pids)
  # Debian's package may start its own instance on :9090 (where ours listens): not ours.
  for p in $after; do
    grep -qxF "$p" <<<"$before" && continue
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$PROM_DIR" && continue
    log "stopping the system prometheus (pid $p) started by the package install"
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  done
  pkill -x prometheus-postgres-exporter 2>/dev/null || true
  command -v prometheus >/dev/null || die "prometheus is not installed"
}

answers() { curl -fs -o /dev/null --max-time 2 "http://$PROMETHEUS_HOST:$PROMETHEUS_PORT/-/ready"; }
exporter_answers() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PG_EXPORTER_PORT/metrics"; }

# targets PORT...: a YAML flow list of loopback targets.
targets() { local out="" p; for p in "$@"; do out+="${out:+, }'127.0.0.1:$p'"; done; echo "[$out]"; }

# App ids with the port of their own /metrics and of their sidecar's: app ports 8001-8008 serve
# /metrics beside the API (loopback, nothing public); the gateway's are on their own port
# (METRICS_PORT 9190) so the public edge never serves them. Sidecars: 9100-9108 (dapr.yaml).
APP_METRICS=(gateway:9190:9100 catalog:8001:9101 search:8002:9102 cart:8003:9103 order:8004:9104
  payment:8005:9105 inventory:8006:9106 promotions:8007:9107 user:8008:9108)

# per_app app|sidecar: one static config per app, labelled `app` (sidecar series carry their own `app_id`).
per_app() {
  local entry id app sidecar
  for entry in "${APP_METRICS[@]}"; do
    IFS=: read -r id app sidecar <<<"$entry"
    [ "$1" = app ] || app=$sidecar
    printf "      - { targets: ['127.0.0.1:%s'], labels: { app: %s } }\n" "$app" "$id"
  done
}

write_config() {
  mkdir -p "$PROM_DIR/data"
  cat >"$CONF" <<EOF
# Written by scripts/infra/prometheus.sh on every start; edits are overwritten.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files: ['$RULES']
scrape_configs:
  - job_name: apps
    static_configs:
$(per_app app)
    # Replicas beyond the first (SCALE, npm run up): scripts/replicas.ts writes these; Prometheus rereads them.
    file_sd_configs: [{ files: ['$RUN_DIR/replicas/prometheus-apps.json'], refresh_interval: 30s }]
  - job_name: sidecars
    static_configs:
$(per_app sidecar)
    file_sd_configs: [{ files: ['$RUN_DIR/replicas/prometheus-sidecars.json'], refresh_interval: 30s }]
  - job_name: dapr-control-plane
    static_configs:
      - { targets: ['127.0.0.1:29090'], labels: { component: placement } }
      - { targets: ['127.0.0.1:29091'], labels: { component: scheduler } }
      - { targets: ['127.0.0.1:29092'], labels: { component: sentry } }
  - job_name: rabbitmq
    static_configs:
      - targets: $(targets "$RABBITMQ_PROMETHEUS_PORT")
  - job_name: postgres
    static_configs:
      - targets: $(targets "$PG_EXPORTER_PORT")
  - job_name: prometheus
    static_configs:
      - targets: $(targets "$PROMETHEUS_PORT")
EOF
}

cmd_start() {
  command -v prometheus >/dev/null || die "prometheus is not installed: run $0 install"
  if ! pid_alive "$EXPORTER"; then
    port_open 127.0.0.1 "$PG_EXPORTER_PORT" && die "127.0.0.1:$PG_EXPORTER_PORT is already taken by another process"
    rm -f "$RUN_DIR/$EXPORTER.pid"
    log "postgres exporter: starting on 127.0.0.1:$PG_EXPORTER_PORT"
    # As the superuser over PostgreSQL's private socket (we are root or its owner): the app's role
    # may not read pg_stat_replication's positions, and needs no monitoring rights for the exporter's sake.
    DATA_SOURCE_NAME="postgresql://postgres@:$PG_PORT/postgres?host=$(service_dir postgres)/socket&sslmode=disable" \
      spawn_daemon "$EXPORTER" "$EXPORTER_LOG" prometheus-postgres-exporter --web.listen-address="127.0.0.1:$PG_EXPORTER_PORT"
  fi
  if pid_alive "$NAME" && answers; then
    log "prometheus already running on http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    port_open "$PROMETHEUS_HOST" "$PROMETHEUS_PORT" && die "$PROMETHEUS_HOST:$PROMETHEUS_PORT is already taken by another process"
    write_config
    promtool check config "$CONF" >"$LOG_DIR/promtool.log" 2>&1 || { cat "$LOG_DIR/promtool.log" >&2; die "the Prometheus configuration or rules do not check (see $LOG_DIR/promtool.log)"; }
    rm -f "$RUN_DIR/$NAME.pid"
    log "prometheus: starting on http://$PROMETHEUS_HOST:$PROMETHEUS_PORT"
    spawn_daemon "$NAME" "$LOG_FILE" prometheus --config.file="$CONF" --storage.tsdb.path="$PROM_DIR/data" \
      --storage.tsdb.retention.time=2d --web.listen-address="$PROMETHEUS_HOST:$PROMETHEUS_PORT" --web.enable-lifecycle
  fi
  await_answering "$NAME" "become ready" "$START_TIMEOUT" "$LOG_FILE"
  log "prometheus ready: http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  pid_alive "$NAME" && { log "prometheus: stopping"; stop_pid "$NAME" 30; }
  pid_alive "$EXPORTER" && stop_pid "$EXPORTER" 10
  rm -f "$RUN_DIR/$NAME.pid" "$RUN_DIR/$EXPORTER.pid"
  log "prometheus stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers && exporter_answers; then
    echo "prometheus: running, pid $(cat "$RUN_DIR/$NAME.pid"), http://$PROMETHEUS_HOST:$PROMETHEUS_PORT"
  else
    echo "prometheus: not answering on $PROMETHEUS_HOST:$PROMETHEUS_PORT (or its postgres exporter on $PG_EXPORTER_PORT)"; return 1
  fi
}

service_main "$@"
