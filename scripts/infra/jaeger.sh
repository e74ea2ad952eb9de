#!/usr/bin/env bash
# shellcheck disable=SC2153 # JAEGER_* ports come from env.sh
# Project-owned trace collector and store: Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger,
# an OpenTelemetry Collector build), compiled from the Go module proxy at the versions pinned in
# tools/jaeger/go.mod and go.sum, cached in $CACHE_DIR/jaeger-<version>/.
#   scripts/infra/jaeger.sh install|start|stop|status
# Every sidecar exports its spans over OTLP/HTTP to $JAEGER_HOST:$JAEGER_OTLP_PORT
# (components/config/<app>.yaml, tracing.otel), as the chart does to its collector. The UI and the
# query API (/api/traces/<trace id>) are on $JAEGER_HOST:$JAEGER_UI_PORT. Spans are kept in memory
# only (at most JAEGER_MAX_TRACES traces): a restart forgets them. Every listener is on loopback;
# Jaeger's other receivers (jaeger, zipkin), remote sampling and pprof are not configured.
# Log: $LOG_DIR/jaeger.log; configuration: $RUN_DIR/jaeger.yaml (written at each start).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=jaeger
JAEGER_VERSION=$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2 }' "$ROOT/tools/jaeger/go.mod")
BIN_DIR="$CACHE_DIR/jaeger-$JAEGER_VERSION"
BIN="$BIN_DIR/jaeger"
CONF="$RUN_DIR/jaeger.yaml"
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${JAEGER_START_TIMEOUT:-60}

cmd_install() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || die "go is not installed (needed to build Jaeger)"
  mkdir -p "$BIN_DIR"
  log "jaeger: building github.com/jaegertracing/jaeger/cmd/jaeger $JAEGER_VERSION (a few minutes, once)"
  # -mod=readonly: the build takes exactly the modules go.sum names, or fails.
  (cd "$ROOT/tools/jaeger" && GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly" \
    go build -trimpath -ldflags "-s -w" -o "$BIN.tmp$$" github.com/jaegertracing/jaeger/cmd/jaeger) >&2 \
    || { rm -f "$BIN.tmp$$"; die "could not build Jaeger $JAEGER_VERSION"; }
  mv -f "$BIN.tmp$$" "$BIN"   # atomic for concurrent clones
}

write_config() {
  cat >"$CONF" <<EOF
# Written by scripts/infra/jaeger.sh at each start: edit the script, not this file.
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: info
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: $JAEGER_HOST:$JAEGER_HEALTH_PORT
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: $JAEGER_HOST:$JAEGER_UI_PORT
    grpc:
      endpoint: $JAEGER_HOST:$JAEGER_QUERY_GRPC_PORT
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: ${JAEGER_MAX_TRACES:-50000}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: $JAEGER_HOST:$JAEGER_OTLP_GRPC_PORT
      http:
        endpoint: $JAEGER_HOST:$JAEGER_OTLP_PORT
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

url() { echo "http://$JAEGER_HOST:$JAEGER_UI_PORT"; }
answers() {
  curl -fs -o /dev/null --max-time 2 "http://$JAEGER_HOST:$JAEGER_HEALTH_PORT/status" \
    && curl -fs -o /dev/null --max-time 2 "$(url)/api/services"
}

cmd_start() {
  [ -x "$BIN" ] || die "jaeger $JAEGER_VERSION is not built: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "jaeger already running on $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    local port
    for port in "$JAEGER_UI_PORT" "$JAEGER_OTLP_PORT" "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_QUERY_GRPC_PORT" "$JAEGER_HEALTH_PORT"; do
      port_open "$JAEGER_HOST" "$port" && die "$JAEGER_HOST:$port is already taken by another process"
    done
    rm -f "$RUN_DIR/$NAME.pid"
    write_config
    log "jaeger $JAEGER_VERSION: starting, OTLP on $JAEGER_HOST:$JAEGER_OTLP_PORT (http) and :$JAEGER_OTLP_GRPC_PORT (grpc), UI $(url)"
    spawn_daemon "$NAME" "$LOG_FILE" "$BIN" --config "file:$CONF"
  fi
  await_answering "$NAME" "answer its health check and query API" "$START_TIMEOUT" "$LOG_FILE"
  log "jaeger ready: $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  pid_alive "$NAME" && { log "jaeger: stopping"; stop_pid "$NAME" 20; }
  rm -f "$RUN_DIR/$NAME.pid"
  log "jaeger stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "jaeger: running, pid $(cat "$RUN_DIR/$NAME.pid"), $(url)"
  else
    echo "jaeger: not answering on $(url)"; return 1
  fi
}

service_main "$@"
