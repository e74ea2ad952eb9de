#!/usr/bin/env bash
# Project-owned RabbitMQ node (Debian's rabbitmq-server, our own node, config and data).
#   scripts/infra/rabbitmq.sh install|start|stop|status|ctl [rabbitmqctl args...]
# Node $RABBITMQ_NODENAME (commerce@localhost), AMQP on $RABBITMQ_HOST:$RABBITMQ_PORT,
# management UI/API on 127.0.0.1:$RABBITMQ_MGMT_PORT, Erlang distribution on
# 127.0.0.1:$RABBITMQ_DIST_PORT, registered with a private epmd on 127.0.0.1:$RABBITMQ_EPMD_PORT
# (so the node never shares, starts or depends on the system's epmd on 4369).
# Everything lives in $DATA_DIR/rabbitmq, including HOME and its Erlang cookie, so root's or the
# rabbitmq user's cookie is never involved. Log: $LOG_DIR/rabbitmq.log; pid: $RUN_DIR/rabbitmq.pid.
# The Debian wrappers in /usr/sbin switch to the rabbitmq user and its HOME, so the scripts in
# /usr/lib/rabbitmq/bin are called directly.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=rabbitmq
RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-commerce@localhost}"
RABBITMQ_DIST_PORT="${RABBITMQ_DIST_PORT:-25679}"
RABBITMQ_EPMD_PORT="${RABBITMQ_EPMD_PORT:-24369}"
RABBITMQ_MGMT_PORT="${RABBITMQ_MGMT_PORT:-15673}"
RABBITMQ_MANAGEMENT="${RABBITMQ_MANAGEMENT:-1}"   # 0: no management plugin (boots and stops faster)
RMQ_DIR="$DATA_DIR/rabbitmq"
RMQ_BIN=/usr/lib/rabbitmq/bin
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${RABBITMQ_START_TIMEOUT:-120}

# Environment for the server and for every CLI call: pins them all to our node, files and cookie.
rmq_env() {
  export HOME="$RMQ_DIR/home"
  export RABBITMQ_NODENAME RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_NODE_IP_ADDRESS="$RABBITMQ_HOST" RABBITMQ_NODE_PORT="$RABBITMQ_PORT" RABBITMQ_DIST_PORT
  export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log" RABBITMQ_LOGS=-
  export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  export RABBITMQ_PID_FILE="$RMQ_DIR/beam.pid"
  export ERL_EPMD_PORT="$RABBITMQ_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

ctl() { (rmq_env; cd "$RMQ_DIR" && "$RMQ_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" "$@"); }
diag() { (rmq_env; cd "$RMQ_DIR" && "$RMQ_BIN/rabbitmq-diagnostics" -q -n "$RABBITMQ_NODENAME" "$@"); }
epmd_bin() { command -v epmd || printf '%s\n' /usr/lib/erlang/erts-*/bin/epmd | sort -V | tail -1 | grep -v '\*'; }

urls() {
  printf 'amqp://%s@%s:%s/' "$RABBITMQ_USER" "$RABBITMQ_HOST" "$RABBITMQ_PORT"
  [ "$RABBITMQ_MANAGEMENT" = 1 ] && printf ', management http://127.0.0.1:%s/' "$RABBITMQ_MGMT_PORT"
  echo
}

answers() {
  port_open "$RABBITMQ_HOST" "$RABBITMQ_PORT" && diag check_running >/dev/null 2>&1
}

# --- install -------------------------------------------------------------------------------
system_beams() { pgrep -x beam.smp 2>/dev/null || true; }
system_epmds() { pgrep -x epmd 2>/dev/null || true; }

# Debian's postinst starts the system node rabbit@<host> where services may start. Stop only
# what appeared during this install; our own node is never running while its package is missing.
stop_system_instance() {
  local beams_before=$1 epmds_before=$2 p new=()
  for p in $(system_beams); do grep -qxF "$p" <<<"$beams_before" || new+=("$p"); done
  if [ ${#new[@]} -gt 0 ]; then
    log "stopping the system RabbitMQ node rabbit@$(hostname -s) started by the package install"
    # The packaged wrapper runs as the rabbitmq user with its cookie; keep our variables out of it.
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 timeout 60 \
      /usr/sbin/rabbitmqctl -n "rabbit@$(hostname -s)" stop >/dev/null 2>&1 || true
    for p in "${new[@]}"; do
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$p" 2>/dev/null && { log "system beam $p still alive: TERM"; kill -TERM "$p" 2>/dev/null || true; }
    done
  fi
  # The system node also leaves an epmd on 4369 (all interfaces) behind: stop it if it is idle.
  for p in $(system_epmds); do
    grep -qxF "$p" <<<"$epmds_before" && continue
    if ! env -i PATH=/usr/bin:/bin "$(epmd_bin)" -names 2>/dev/null | grep -q '^name '; then
      log "stopping the idle system epmd (pid $p) started by the package install"
      kill -TERM "$p" 2>/dev/null || true
    fi
  done
}

cmd_install() {
  [ -x "$RMQ_BIN/rabbitmq-server" ] && [ -n "$(epmd_bin)" ] && return 0
  local beams epmds
  beams=$(system_beams); epmds=$(system_epmds)
  apt_install rabbitmq-server 9>&-
  stop_system_instance "$beams" "$epmds"
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "rabbitmq-server is not installed"
}

# --- start ---------------------------------------------------------------------------------
prepare() {
  mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  chmod 0700 "$RMQ_DIR" "$RMQ_DIR/home"
  local cookie="$RMQ_DIR/home/.erlang.cookie"
  if [ ! -s "$cookie" ]; then
    (umask 077; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$cookie")
  fi
  chmod 0400 "$cookie"
  : >"$RMQ_DIR/rabbitmq-env.conf"   # empty: keeps /etc/rabbitmq/rabbitmq-env.conf out
  # rabbitmq_prometheus: metrics per queue for scripts/infra/prometheus.sh (loopback only).
  if [ "$RABBITMQ_MANAGEMENT" = 1 ]; then echo '[rabbitmq_management,rabbitmq_prometheus].'; else echo '[rabbitmq_prometheus].'; fi >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by scripts/infra/rabbitmq.sh on every start; edits are overwritten.
# AMQP listener: RABBITMQ_NODE_IP_ADDRESS/RABBITMQ_NODE_PORT ($RABBITMQ_HOST:$RABBITMQ_PORT).
loopback_users.guest = true
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBITMQ_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RABBITMQ_PROMETHEUS_PORT
prometheus.return_per_object_metrics = true
EOF
}

start_epmd() {
  pid_alive "$NAME-epmd" && return 0
  local epmd; epmd=$(epmd_bin)
  [ -n "$epmd" ] || die "epmd not found (erlang-base)"
  port_open 127.0.0.1 "$RABBITMQ_EPMD_PORT" &&
    die "127.0.0.1:$RABBITMQ_EPMD_PORT (epmd for our node) is taken by another process; set RABBITMQ_EPMD_PORT"
  rm -f "$RUN_DIR/$NAME-epmd.pid"
  # shellcheck disable=SC2016 # expanded by the child shell
  ERL_EPMD_ADDRESS=127.0.0.1 setsid bash -c 'echo $$ >"$1"; exec "$2" -port "$3"' _ \
    "$RUN_DIR/$NAME-epmd.pid" "$epmd" "$RABBITMQ_EPMD_PORT" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  wait_port 127.0.0.1 "$RABBITMQ_EPMD_PORT" 10 epmd
}

ensure_user() {
  if ctl list_users | awk '{print $1}' | grep -qxF "$RABBITMQ_USER"; then
    ctl authenticate_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null 2>&1 ||
      ctl change_password "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null
  else
    log "rabbitmq: creating user $RABBITMQ_USER"
    ctl add_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null
    ctl set_user_tags "$RABBITMQ_USER" administrator >/dev/null
  fi
  ctl set_permissions -p / "$RABBITMQ_USER" '.*' '.*' '.*' >/dev/null
}

cmd_start() {
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "rabbitmq-server is not installed: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "rabbitmq already running: node $RABBITMQ_NODENAME on $RABBITMQ_HOST:$RABBITMQ_PORT (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    local port
    for port in "$RABBITMQ_HOST:$RABBITMQ_PORT" "127.0.0.1:$RABBITMQ_DIST_PORT" "127.0.0.1:$RABBITMQ_MGMT_PORT"; do
      port_open "${port%:*}" "${port##*:}" && die "$port is already taken by another process"
    done
    prepare
    start_epmd
    rm -f "$RUN_DIR/$NAME.pid"
    log "rabbitmq: starting node $RABBITMQ_NODENAME on $RABBITMQ_HOST:$RABBITMQ_PORT"
    # The rabbitmq-server script stays as the parent of the Erlang VM and turns SIGTERM into a
    # clean shutdown. Own session: nothing of it is tied to the caller's terminal.
    # shellcheck disable=SC2016 # expanded by the child shell
    (rmq_env; cd "$RMQ_DIR" && exec setsid bash -c 'echo $$ >"$1"; exec "$2"' _ "$RUN_DIR/$NAME.pid" \
      "$RMQ_BIN/rabbitmq-server" >>"$LOG_FILE" 2>&1 </dev/null 9>&-) &
    for _ in $(seq 50); do [ -s "$RUN_DIR/$NAME.pid" ] && break; sleep 0.1; done
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$RABBITMQ_HOST" "$RABBITMQ_PORT" && answers; do
    pid_alive "$NAME" || { tail -n 30 "$LOG_FILE" >&2; die "rabbitmq exited during start-up (see $LOG_FILE)"; }
    [ $SECONDS -lt $deadline ] || die "rabbitmq did not boot within ${START_TIMEOUT}s (see $LOG_FILE)"
    sleep 0.5
  done
  ensure_user
  log "rabbitmq ready: $(urls) (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

# --- stop ----------------------------------------------------------------------------------
# Any process left in a session we started (the VM's helpers: erl_child_setup, inet_gethost).
sweep_session() {
  local sid=$1 pids
  [ -n "$sid" ] || return 0
  pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2 == s {print $1}')
  [ -n "$pids" ] || return 0
  log "rabbitmq: killing leftover processes of session $sid: ${pids//$'\n'/ }"
  # shellcheck disable=SC2086 # one pid per word
  kill -KILL $pids 2>/dev/null || true
}

cmd_stop() {
  local sid=""
  if pid_alive "$NAME"; then
    sid=$(cat "$RUN_DIR/$NAME.pid")
    log "rabbitmq: stopping node $RABBITMQ_NODENAME"
    # Graceful: waits until the VM whose pid is in RABBITMQ_PID_FILE has exited.
    (rmq_env; cd "$RMQ_DIR" && timeout 90 "$RMQ_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" stop "$RABBITMQ_PID_FILE") \
      >/dev/null 2>&1 || log "rabbitmqctl stop failed: falling back to SIGTERM"
    stop_pid "$NAME" 60
  fi
  sweep_session "$sid"
  if pid_alive "$NAME-epmd"; then
    sid=$(cat "$RUN_DIR/$NAME-epmd.pid")
    "$(epmd_bin)" -port "$RABBITMQ_EPMD_PORT" -kill >/dev/null 2>&1 || true   # refuses while a node is registered
    stop_pid "$NAME-epmd" 10
    sweep_session "$sid"
  fi
  rm -f "$RUN_DIR/$NAME.pid" "$RUN_DIR/$NAME-epmd.pid"
  log "rabbitmq stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "rabbitmq: running, pid $(cat "$RUN_DIR/$NAME.pid"), node $RABBITMQ_NODENAME, $(urls)"
  else
    echo "rabbitmq: node $RABBITMQ_NODENAME not answering on $RABBITMQ_HOST:$RABBITMQ_PORT"; return 1
  fi
}

# rabbitmqctl against our node (Debian's rabbitmqctl would use the system cookie).
cmd_ctl() { rmq_env; cd "$RMQ_DIR" || exit 1; exec "$RMQ_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }

service_main "$@"
