#!/usr/bin/env bash
# Dapr's control plane for self-hosted runs: placement (actor placement) and scheduler
# (reminders, workflow timers; an embedded etcd). `dapr run -f` starts neither.
# If something already answers on their ports (a `dapr init` user's containers), it is reused
# and left alone by `stop`.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
BIN="$ROOT/.dapr/bin"
# Health and metrics ports are distinct from daprd's defaults (8080/9090), which all three share.
PLACEMENT_HEALTH=28080 PLACEMENT_METRICS=29090 PLACEMENT_RAFT=28201
SCHEDULER_HEALTH=28081 SCHEDULER_METRICS=29091 SCHEDULER_ETCD_CLIENT=22379 SCHEDULER_ETCD_PEER=22380

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
    start_one placement "$DAPR_PLACEMENT_PORT" "$PLACEMENT_HEALTH" "$BIN/placement" \
      --port "$DAPR_PLACEMENT_PORT" --listen-address 127.0.0.1 \
      --healthz-port "$PLACEMENT_HEALTH" --healthz-listen-address 127.0.0.1 \
      --metrics-port "$PLACEMENT_METRICS" --metrics-listen-address 127.0.0.1 \
      --initial-cluster "dapr-placement-0=127.0.0.1:$PLACEMENT_RAFT" --id dapr-placement-0 --log-level warn
    start_one scheduler "$DAPR_SCHEDULER_PORT" "$SCHEDULER_HEALTH" "$BIN/scheduler" \
      --port "$DAPR_SCHEDULER_PORT" --listen-address 127.0.0.1 \
      --healthz-port "$SCHEDULER_HEALTH" --healthz-listen-address 127.0.0.1 \
      --metrics-port "$SCHEDULER_METRICS" --metrics-listen-address 127.0.0.1 \
      --override-broadcast-host-port "127.0.0.1:$DAPR_SCHEDULER_PORT" \
      --etcd-data-dir "$DATA_DIR/scheduler" --etcd-client-port "$SCHEDULER_ETCD_CLIENT" \
      --etcd-client-listen-address 127.0.0.1 \
      --etcd-initial-cluster "dapr-scheduler-server-0=http://127.0.0.1:$SCHEDULER_ETCD_PEER" --log-level warn
    log "placement 127.0.0.1:$DAPR_PLACEMENT_PORT, scheduler 127.0.0.1:$DAPR_SCHEDULER_PORT"
    ;;
  stop) stop_pid scheduler 15; stop_pid placement 15 ;;
  status) port_open 127.0.0.1 "$DAPR_PLACEMENT_PORT" && port_open 127.0.0.1 "$DAPR_SCHEDULER_PORT" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
