#!/usr/bin/env bash
# Project-owned Redis (Debian's redis-server binary, our own config and data).
#   scripts/infra/redis.sh install|start|stop|status
# Listens on $REDIS_HOST:$REDIS_PORT only (127.0.0.1 by default), append-only file on so that
# actor state survives restarts. Data: $DATA_DIR/redis; log: $LOG_DIR/redis.log;
# pid: $RUN_DIR/redis.pid. A system instance started by the package install is stopped again.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=redis
REDIS_DIR="$DATA_DIR/redis"
CONF="$REDIS_DIR/redis.conf"
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${REDIS_START_TIMEOUT:-60}

redis_pids() { pgrep -x redis-server 2>/dev/null || true; }

cmd_install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  local before after p
  before=$(redis_pids)
  apt_install redis-server redis-tools 9>&-
  after=$(redis_pids)
  # Debian's package starts its own instance on 6379 where services may start: not ours.
  for p in $after; do
    grep -qxF "$p" <<<"$before" && continue
    # Only the packaged instance (its process title ends with the default port 6379).
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ':6379\b' || continue
    log "stopping the system redis-server (pid $p) started by the package install"
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  done
  command -v redis-server >/dev/null || die "redis-server is not installed"
}

cli() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }
answers() { [ "$(cli ping 2>/dev/null)" = PONG ]; }

write_config() {
  mkdir -p "$REDIS_DIR"
  cat >"$CONF" <<EOF
# Written by scripts/infra/redis.sh on every start; edits are overwritten.
bind $REDIS_HOST
port $REDIS_PORT
protected-mode yes
daemonize no
supervised no
dir $REDIS_DIR
logfile ""
# Actor state must survive restarts: append-only file (fsync every second) plus RDB snapshots.
appendonly yes
appendfilename "appendonly.aof"
appenddirname "appendonlydir"
appendfsync everysec
dbfilename dump.rdb
save 3600 1 300 100 60 10000
EOF
}

cmd_start() {
  command -v redis-server >/dev/null || die "redis-server is not installed: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "redis already running on $REDIS_HOST:$REDIS_PORT (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    port_open "$REDIS_HOST" "$REDIS_PORT" && die "$REDIS_HOST:$REDIS_PORT is already taken by another process"
    write_config
    rm -f "$RUN_DIR/$NAME.pid"
    log "redis: starting on $REDIS_HOST:$REDIS_PORT"
    spawn_daemon "$NAME" "$LOG_FILE" redis-server "$CONF"
  fi
  # PING answers LOADING (not PONG) while the append-only file is replayed.
  await_answering "$NAME" "answer PING" "$START_TIMEOUT" "$LOG_FILE"
  log "redis ready: redis://$REDIS_HOST:$REDIS_PORT (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  if pid_alive "$NAME"; then
    log "redis: stopping (SIGTERM: flushes the append-only file and saves a snapshot)"
    stop_pid "$NAME" 60
  fi
  rm -f "$RUN_DIR/$NAME.pid"
  log "redis stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "redis: running, pid $(cat "$RUN_DIR/$NAME.pid"), redis://$REDIS_HOST:$REDIS_PORT"
  else
    echo "redis: not answering on $REDIS_HOST:$REDIS_PORT"; return 1
  fi
}

service_main "$@"
