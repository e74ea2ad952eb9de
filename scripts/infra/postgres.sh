#!/usr/bin/env bash
# shellcheck disable=SC2153 # DATA_DIR, RUN_DIR, LOG_DIR, PG_* come from env.sh
# Project-owned PostgreSQL (Debian's packaged server binaries, our own data directory).
#   scripts/infra/postgres.sh install|start|stop|status|psql [psql args...]|replica-pause|replica-resume
# Listens on $PG_HOST:$PG_PORT only; the unix socket lives in $DATA_DIR/postgres/socket.
# With PG_REPLICA_PORT (env.sh sets it unless PG_REPLICA=0): a streaming-replication hot standby
# of it on $PG_HOST:$PG_REPLICA_PORT (made with pg_basebackup over the private socket; data in
# $DATA_DIR/postgres-replica, log $LOG_DIR/postgres-replica.log), started and stopped with it.
# The apps read from it (kernel/store/read-replica.ts); replica-pause/-resume stop and restart
# its WAL replay (tests of read-your-writes).
# Data: $DATA_DIR/postgres/data, owned by $SERVICE_USER (the server refuses to run as root); in a
# clone its user cannot reach, under /var/lib/dapr-commerce instead (service_dir, scripts/lib.sh),
# with the log beside it and linked from $LOG_DIR.
# Log: $LOG_DIR/postgres.log; pid: $RUN_DIR/postgres.pid (the postmaster).
# The system cluster(s) of the Debian package are never used; if installing the package starts
# one, it is stopped again right away.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=postgres
PG_DIR=$(service_dir postgres)
PGDATA_DIR="$PG_DIR/data"
SOCK_DIR="$PG_DIR/socket"
LOG_FILE="$LOG_DIR/$NAME.log"
# The server writes its log itself, as $SERVICE_USER: beside its data when $LOG_DIR is out of reach.
[ "$PG_DIR" = "$DATA_DIR/postgres" ] || LOG_FILE="$PG_DIR/$NAME.log"
PID_FILE="$RUN_DIR/$NAME.pid"
START_TIMEOUT=${PG_START_TIMEOUT:-60}

# Newest installed server version, or $PG_MAJOR when set. Prints the bin dir.
pg_bindir() {
  local d
  if [ -n "${PG_MAJOR:-}" ]; then d=/usr/lib/postgresql/$PG_MAJOR/bin; [ -x "$d/postgres" ] && echo "$d"; return; fi
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

online_system_clusters() {
  if command -v pg_lsclusters >/dev/null; then pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1 " " $2}'; fi
}

cmd_install() {
  ensure_service_user
  if [ -z "$(pg_bindir)" ]; then
    local before after
    before=$(online_system_clusters)
    apt_install postgresql 9>&-
    after=$(online_system_clusters)
    # The package may have created and started the system cluster "main" on 5432: not ours, stop it.
    while read -r ver cluster; do
      [ -n "$ver" ] || continue
      grep -qxF "$ver $cluster" <<<"$before" && continue
      log "stopping system cluster $ver/$cluster started by the package install"
      pg_ctlcluster "$ver" "$cluster" stop --mode fast || true
    done <<<"$after"
  fi
  [ -n "$(pg_bindir)" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
}

BIN=""
need_bin() {
  BIN=$(pg_bindir)
  [ -n "$BIN" ] || die "PostgreSQL is not installed: run $0 install"
}

# Superuser access over our private unix socket (trust auth; the socket dir is 0700 $SERVICE_USER).
su_psql() { "$BIN/psql" -X -q -h "$SOCK_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
# The application's path: TCP + password.
app_psql() { PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DATABASE" "$@"; }

postmaster_pid() { [ -f "$PGDATA_DIR/postmaster.pid" ] && head -1 "$PGDATA_DIR/postmaster.pid"; }
running() { local p; p=$(postmaster_pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
answers() { [ "$(app_psql -tAc 'select 1' 2>/dev/null)" = 1 ]; }

prepare_dirs() {
  ensure_service_user
  mkdir -p "$PG_DIR" "$SOCK_DIR" "$LOG_DIR"
  touch "$LOG_FILE"
  [ "$LOG_FILE" = "$LOG_DIR/$NAME.log" ] || ln -sfn "$LOG_FILE" "$LOG_DIR/$NAME.log"
  if [ "$(id -u)" = 0 ]; then
    chown "$SERVICE_USER:" "$PG_DIR" "$SOCK_DIR" "$LOG_FILE"
    as_service_user test -w "$PG_DIR" ||
      die "$SERVICE_USER cannot reach $PG_DIR (a parent directory is not traversable); move DATA_DIR or fix permissions"
  fi
  chmod 0700 "$PG_DIR" "$SOCK_DIR"
  local sock="$SOCK_DIR/.s.PGSQL.$PG_PORT"
  [ ${#sock} -le 107 ] || die "unix socket path too long (${#sock} > 107 bytes): $sock; set DATA_DIR to a shorter path"
}

init_cluster() {
  local want; want=$(basename "$(dirname "$BIN")")
  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    [ "$(cat "$PGDATA_DIR/PG_VERSION")" = "$want" ] ||
      die "$PGDATA_DIR holds a PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION") cluster but the server is $want; set PG_MAJOR or remove it"
    return 0
  fi
  log "postgres: initdb $PGDATA_DIR (PostgreSQL $want)"
  as_service_user "$BIN/initdb" -D "$PGDATA_DIR" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >>"$LOG_FILE" 2>&1 || die "initdb failed (see $LOG_FILE)"
  echo "include_if_exists = 'project.conf'" >>"$PGDATA_DIR/postgresql.conf"
}

# Rewritten on every start so that changes here take effect; postgresql.conf itself stays initdb's.
# write_config [DATADIR PORT SOCKDIR]: the primary's by default; the standby's with its own.
write_config() {
  local datadir=${1:-$PGDATA_DIR} port=${2:-$PG_PORT} sockdir=${3:-$SOCK_DIR}
  as_service_user tee "$datadir/project.conf" >/dev/null <<EOF
# Written by scripts/infra/postgres.sh on every start; edits are overwritten.
listen_addresses = '$PG_HOST'
port = $port
unix_socket_directories = '$sockdir'
# Streaming replication to the hot standby: WAL kept for a standby that was down a while
# (past this it is made again from a new base backup); the standby tells the primary what its
# queries still read, so they are not cancelled by vacuum.
wal_level = replica
wal_keep_size = 512MB
hot_standby = on
hot_standby_feedback = on
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 256MB
# Durability stays on: the tests check that committed data survives a crash.
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = scram-sha-256
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
}

# Role and database for the application; safe to repeat (also re-syncs the password).
ensure_role_db() {
  su_psql -v u="$PG_USER" -v p="$PG_PASSWORD" -v d="$PG_DATABASE" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'u') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'u', :'p') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'d') \gexec
SQL
}

cmd_start() {
  need_bin
  if running && answers; then
    postmaster_pid >"$PID_FILE"
    log "postgres already running on $PG_HOST:$PG_PORT (pid $(cat "$PID_FILE"))"
    if replica_wanted; then start_replica; fi
    return 0
  fi
  prepare_dirs
  init_cluster
  write_config
  if ! running; then
    port_open "$PG_HOST" "$PG_PORT" && die "$PG_HOST:$PG_PORT is already taken by another process"
    log "postgres: starting on $PG_HOST:$PG_PORT"
    as_service_user "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" start >/dev/null 9>&- ||
      { tail -n 20 "$LOG_FILE" >&2; die "postgres did not start (see $LOG_FILE)"; }
  fi
  postmaster_pid >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until su_psql -tAc 'select 1' >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "postgres does not answer on $SOCK_DIR (see $LOG_FILE)"
    sleep 0.3
  done
  ensure_role_db
  answers || die "postgres runs but $PG_USER cannot log in to $PG_DATABASE over $PG_HOST:$PG_PORT"
  log "postgres ready: postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DATABASE (pid $(cat "$PID_FILE"))"
  if replica_wanted; then start_replica; fi
}

# --- The hot standby -------------------------------------------------------------------------
REPLICA_DIR=$(service_dir postgres-replica)
REPLICA_DATA="$REPLICA_DIR/data"
REPLICA_SOCK="$REPLICA_DIR/socket"
REPLICA_LOG="$LOG_DIR/postgres-replica.log"
[ "$REPLICA_DIR" = "$DATA_DIR/postgres-replica" ] || REPLICA_LOG="$REPLICA_DIR/postgres-replica.log"

replica_wanted() { [ -n "${PG_REPLICA_PORT:-}" ]; }
replica_pid() { [ -f "$REPLICA_DATA/postmaster.pid" ] && head -1 "$REPLICA_DATA/postmaster.pid"; }
replica_running() { local p; p=$(replica_pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
replica_psql() { "$BIN/psql" -X -q -h "$REPLICA_SOCK" -p "$PG_REPLICA_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
replica_answers() { [ "$(replica_psql -tAc 'select pg_is_in_recovery()' 2>/dev/null)" = t ]; }

start_replica() {
  mkdir -p "$REPLICA_DIR" "$REPLICA_SOCK"
  touch "$REPLICA_LOG"
  [ "$REPLICA_LOG" = "$LOG_DIR/postgres-replica.log" ] || ln -sfn "$REPLICA_LOG" "$LOG_DIR/postgres-replica.log"
  [ "$(id -u)" = 0 ] && chown "$SERVICE_USER:" "$REPLICA_DIR" "$REPLICA_SOCK" "$REPLICA_LOG"
  chmod 0700 "$REPLICA_DIR" "$REPLICA_SOCK"
  if replica_running && replica_answers; then
    log "postgres replica already running on $PG_HOST:$PG_REPLICA_PORT"
    return 0
  fi
  if [ ! -f "$REPLICA_DATA/PG_VERSION" ]; then
    log "postgres replica: base backup of the primary into $REPLICA_DATA"
    # Over the primary's private socket as its superuser (trust there): no replication password.
    as_service_user "$BIN/pg_basebackup" -h "$SOCK_DIR" -p "$PG_PORT" -U postgres -D "$REPLICA_DATA" -X stream -R -c fast >>"$REPLICA_LOG" 2>&1 ||
      { rm -rf "$REPLICA_DATA"; die "pg_basebackup failed (see $REPLICA_LOG)"; }
  fi
  write_config "$REPLICA_DATA" "$PG_REPLICA_PORT" "$REPLICA_SOCK"
  if ! replica_running; then
    port_open "$PG_HOST" "$PG_REPLICA_PORT" && die "$PG_HOST:$PG_REPLICA_PORT is already taken by another process"
    log "postgres replica: starting on $PG_HOST:$PG_REPLICA_PORT"
    as_service_user "$BIN/pg_ctl" -D "$REPLICA_DATA" -l "$REPLICA_LOG" -w -t "$START_TIMEOUT" start >/dev/null 9>&- ||
      { tail -n 20 "$REPLICA_LOG" >&2; die "the postgres replica did not start (see $REPLICA_LOG)"; }
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until replica_answers; do
    [ $SECONDS -lt $deadline ] || die "the postgres replica does not answer as a standby on $REPLICA_SOCK (see $REPLICA_LOG)"
    sleep 0.3
  done
  # Replay paused by a test that did not finish: a standby that never catches up is useless.
  replica_psql -tAc 'SELECT pg_wal_replay_resume()' >/dev/null 2>&1 || true
  log "postgres replica ready: $PG_HOST:$PG_REPLICA_PORT (hot standby, streaming)"
}

stop_replica() {
  if replica_running && [ -n "$BIN" ]; then
    log "postgres replica: stopping"
    as_service_user "$BIN/pg_ctl" -D "$REPLICA_DATA" -m fast -w -t 60 stop >/dev/null || true
  fi
  if replica_running; then kill -INT "$(replica_pid)" 2>/dev/null || true; fi
}

cmd_replica_pause() { need_bin; replica_psql -tAc 'SELECT pg_wal_replay_pause()' >/dev/null; }
cmd_replica_resume() { need_bin; replica_psql -tAc 'SELECT pg_wal_replay_resume()' >/dev/null; }

cmd_stop() {
  BIN=$(pg_bindir)
  stop_replica
  if running && [ -n "$BIN" ]; then
    log "postgres: stopping (fast shutdown: clients are disconnected, everything committed is kept)"
    as_service_user "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null || true
  fi
  # Fallback for a postmaster that did not stop through pg_ctl: SIGINT is a fast shutdown.
  if running; then
    postmaster_pid >"$PID_FILE"
    kill -INT "$(cat "$PID_FILE")" 2>/dev/null || true
    stop_pid "$NAME" 30
  fi
  rm -f "$PID_FILE"
  log "postgres stopped"
}

cmd_status() {
  BIN=$(pg_bindir)
  if [ -n "$BIN" ] && running && answers && { ! replica_wanted || replica_answers; }; then
    echo "postgres: running, pid $(postmaster_pid), postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DATABASE$(replica_wanted && echo ", hot standby on $PG_HOST:$PG_REPLICA_PORT")"
  else
    echo "postgres: not answering on $PG_HOST:$PG_PORT$(replica_wanted && echo " (or its replica on $PG_REPLICA_PORT)")"; return 1
  fi
}

cmd_psql() {
  need_bin
  PGPASSWORD="$PG_PASSWORD" exec "$BIN/psql" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DATABASE" "$@"
}

service_main "$@"
