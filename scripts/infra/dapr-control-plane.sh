#!/usr/bin/env bash
# Dapr's control plane for self-hosted runs: sentry (the mesh's certificate authority: mTLS
# between sidecars and to the control plane), placement (actor placement) and scheduler
# (reminders, workflow timers; an embedded etcd). `dapr run -f` starts none of them.
# If something already answers on their ports (a `dapr init` user's containers), it is reused
# and left alone by `stop`.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
BIN="$ROOT/.dapr/bin"
# Health and metrics ports are distinct from daprd's defaults (8080/9090), which all three share.
PLACEMENT_HEALTH=28080 PLACEMENT_METRICS=29090 PLACEMENT_RAFT=28201
SCHEDULER_HEALTH=28081 SCHEDULER_METRICS=29091 SCHEDULER_ETCD_CLIENT=22379 SCHEDULER_ETCD_PEER=22380
SENTRY_HEALTH=28082 SENTRY_METRICS=29092
# The Dapr CLI points every sidecar of an mTLS configuration at localhost:50001 (not configurable
# in dapr.yaml), so Sentry listens there. Its root and issuer certificates live in $SENTRY_DIR.
SENTRY_PORT=50001
# Placement and scheduler get their own workload certificates from Sentry and accept only mTLS.
control_plane_tls=(--tls-enabled --trust-domain localhost --trust-anchors-file "$SENTRY_DIR/ca.crt" --sentry-address "127.0.0.1:$SENTRY_PORT")

healthy() { curl -fs -o /dev/null "http://127.0.0.1:$1/healthz"; }

start_one() { # name port health-port command...
  local name=$1 port=$2 health=$3; shift 3
  if pid_alive "$name"; then return 0; fi
  if port_open 127.0.0.1 "$port"; then log "$name: something already listens on $port; reusing it"; return 0; fi
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  local deadline=$((SECONDS + 60))
  until healthy "$health"; do
    pid_alive "$name" || die "$name exited (see $LOG_DIR/$name.log)"
    [ $SECONDS -lt $deadline ] || die "$name not healthy within 60 s (see $LOG_DIR/$name.log)"
    sleep 0.3
  done
}

case "${1:-}" in
  install) bash "$ROOT/scripts/provision/dapr.sh" ;;
  start)
    mkdir -p "$DATA_DIR/scheduler"
    (umask 077 && mkdir -p "$SENTRY_DIR")
    start_one sentry "$SENTRY_PORT" "$SENTRY_HEALTH" "$BIN/sentry" \
      --port "$SENTRY_PORT" --listen-address 127.0.0.1 \
      --healthz-port "$SENTRY_HEALTH" --healthz-listen-address 127.0.0.1 \
      --metrics-port "$SENTRY_METRICS" --metrics-listen-address 127.0.0.1 \
      --issuer-credentials "$SENTRY_DIR" --trust-domain localhost --mode standalone \
      --config "$ROOT/components/config/sentry.yaml" --log-level warn
    [ -s "$SENTRY_DIR/ca.crt" ] || die "sentry made no root certificate in $SENTRY_DIR (see $LOG_DIR/sentry.log)"
    start_one placement "$DAPR_PLACEMENT_PORT" "$PLACEMENT_HEALTH" "$BIN/placement" \
      --port "$DAPR_PLACEMENT_PORT" --listen-address 127.0.0.1 \
      --healthz-port "$PLACEMENT_HEALTH" --healthz-listen-address 127.0.0.1 \
      --metrics-port "$PLACEMENT_METRICS" --metrics-listen-address 127.0.0.1 \
      --initial-cluster "dapr-placement-0=127.0.0.1:$PLACEMENT_RAFT" --id dapr-placement-0 --log-level warn \
      "${control_plane_tls[@]}"
    start_one scheduler "$DAPR_SCHEDULER_PORT" "$SCHEDULER_HEALTH" "$BIN/scheduler" \
      --port "$DAPR_SCHEDULER_PORT" --listen-address 127.0.0.1 \
      --healthz-port "$SCHEDULER_HEALTH" --healthz-listen-address 127.0.0.1 \
      --metrics-port "$SCHEDULER_METRICS" --metrics-listen-address 127.0.0.1 \
      --override-broadcast-host-port "127.0.0.1:$DAPR_SCHEDULER_PORT" \
      --etcd-data-dir "$DATA_DIR/scheduler" --etcd-client-port "$SCHEDULER_ETCD_CLIENT" \
      --etcd-client-listen-address 127.0.0.1 \
      --etcd-initial-cluster "dapr-scheduler-server-0=http://127.0.0.1:$SCHEDULER_ETCD_PEER" --log-level warn \
      --identity-directory-write "$RUN_DIR/scheduler-identity" "${control_plane_tls[@]}"
    log "sentry 127.0.0.1:$SENTRY_PORT, placement 127.0.0.1:$DAPR_PLACEMENT_PORT, scheduler 127.0.0.1:$DAPR_SCHEDULER_PORT (mTLS)"
    ;;
  stop) stop_pid scheduler 15; stop_pid placement 15; stop_pid sentry 15 ;;
  status) port_open 127.0.0.1 "$SENTRY_PORT" && port_open 127.0.0.1 "$DAPR_PLACEMENT_PORT" && port_open 127.0.0.1 "$DAPR_SCHEDULER_PORT" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
