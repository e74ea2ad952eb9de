# shellcheck shell=bash
# Helpers for the provisioning and start-up scripts. Sourced, never run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$CACHE_DIR"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port HOST PORT SECONDS NAME: waits until the port accepts connections.
wait_port() {
  local deadline=$((SECONDS + $3))
  until port_open "$1" "$2"; do
    [ $SECONDS -lt $deadline ] || die "$4 did not open $1:$2 within $3 s (see $LOG_DIR)"
    sleep 0.3
  done
}

# go_install_cached NAME MODULE@VERSION BIN [GOFLAGS...]: builds one Go command from the module
# proxy into the cache (BIN), once; the move into place is atomic, so concurrent clones agree.
go_install_cached() {
  local name=$1 target=$2 bin=$3; shift 3
  [ -x "$bin" ] && return 0
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || die "go is not installed (needed to build $name)"
  local tmp; tmp=$(mktemp -d "$CACHE_DIR/.$name-build.XXXXXX")
  log "$name: go install $target"
  if ! GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -buildvcs=false $*" go install "$target" >&2; then
    rm -rf "$tmp"; die "could not build $target"
  fi
  mkdir -p "$(dirname "$bin")"
  mv -f "$tmp/$(basename "${target%@*}")" "$bin.tmp$$" && mv -f "$bin.tmp$$" "$bin"
  rm -rf "$tmp"
}

# apt_install PKG...: installs only the missing Debian packages; runs apt-get update once per run.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ ! -f "$RUN_DIR/apt-updated" ]; then
    log "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && touch "$RUN_DIR/apt-updated"
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A JDK 17 home (Elasticsearch's launcher build needs javac; it runs on its java):
# $JAVA17_HOME, else the first one under /usr/lib/jvm. need_java17 installs one when there is none
# and sets JAVA17 to it.
java17_home() {
  local d
  for d in ${JAVA17_HOME:-} /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*17*; do
    [ -x "$d/bin/javac" ] && "$d/bin/java" -version 2>&1 | grep -q 'version "17[."]' && { echo "$d"; return 0; }
  done
  return 1
}
need_java17() {
  JAVA17=$(java17_home) || { apt_install openjdk-17-jdk-headless; JAVA17=$(java17_home); } ||
    die "no Java 17 JDK found (set JAVA17_HOME)"
}

# The unprivileged account that owns PostgreSQL's and Elasticsearch's data.
ensure_service_user() {
  id "$SERVICE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
}

# service_dir NAME: where a server that runs as $SERVICE_USER (PostgreSQL, Elasticsearch) keeps
# its files. $DATA_DIR/NAME when every existing parent of $DATA_DIR lets others through (o+x);
# otherwise (a clone in a private folder: root's home is 0700, as is any `mktemp -d`) a folder of
# this clone's own under /var/lib/dapr-commerce (SERVICE_STATE_DIR), which root owns, so no other
# user can plant anything there. Decided from the paths alone, the same answer on every call.
service_dir() {
  local d perm
  [ "$(id -u)" = 0 ] || { echo "$DATA_DIR/$1"; return; }   # not root: the servers run as this user
  d=$(realpath -m "$DATA_DIR")
  while [ "$d" != / ]; do
    if [ -e "$d" ]; then
      perm=$(stat -c %A "$d")
      case "${perm:9:1}" in x | t) ;; *) echo "${SERVICE_STATE_DIR:-/var/lib/dapr-commerce/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)}/$1"; return ;; esac
    fi
    d=$(dirname "$d")
  done
  echo "$DATA_DIR/$1"
}

# as_service_user CMD...: runs a command as the unprivileged account (we run as root here).
as_service_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$SERVICE_USER" -- "$@"; else "$@"; fi
}

# pid_alive NAME: true when the pid recorded in $RUN_DIR/NAME.pid is a live process.
pid_alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

# serialize NAME: one install/start/stop of a service at a time; concurrent callers queue up
# instead of racing for the port. The lock is fd 9: servers launched afterwards close it (9>&-).
serialize() { exec 9>"$RUN_DIR/$1.lock"; flock -w 900 9 || die "another $1 install/start/stop did not finish"; }

# A process that has exited but is not reaped yet (a zombie: init on some machines reaps
# orphans only every few seconds) already counts as gone.
proc_gone() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0; [[ $st == Z* ]]; }

# stop_pid NAME [SECONDS]: TERM the recorded process, KILL it after the grace period.
stop_pid() {
  local name=$1 grace=${2:-20} pid
  pid_alive "$name" || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  pid=$(cat "$RUN_DIR/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do proc_gone "$pid" && break; sleep 0.1; done
  proc_gone "$pid" || { log "$name did not stop in ${grace}s: KILL"; kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$RUN_DIR/$name.pid"
}

# spawn_daemon NAME LOGFILE CMD [ARGS...]: starts CMD in its own session (it survives the
# caller's terminal), its output appended to LOGFILE; the child records its own pid in
# $RUN_DIR/NAME.pid and then becomes CMD (without the serialize lock, fd 9). Waits up to 5 s for the pid file.
spawn_daemon() {
  local name=$1 logfile=$2
  shift 2
  # shellcheck disable=SC2016 # expanded by the child shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN_DIR/$name.pid" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  for _ in $(seq 50); do [ -s "$RUN_DIR/$name.pid" ] && break; sleep 0.1; done
}

# await_answering NAME WHAT SECONDS LOGFILE: polls the script's own `answers` until it succeeds;
# dies, with the log's tail, when the process NAME exits first or SECONDS pass ("NAME did not WHAT").
await_answering() {
  local name=$1 what=$2 timeout=$3 logfile=$4
  local deadline=$((SECONDS + timeout))
  until answers; do
    pid_alive "$name" || { tail -n 20 "$logfile" >&2; die "$name exited during start-up (see $logfile)"; }
    [ $SECONDS -lt $deadline ] || die "$name did not $what within ${timeout}s (see $logfile)"
    sleep 0.2
  done
}

# service_main VERB [ARGS...]: the entry point of every scripts/infra/<name>.sh. install, start
# and stop run one at a time per service (serialize); status runs at once; any other verb runs
# the script's own cmd_<verb> (postgres.sh psql, rabbitmq.sh ctl) with the remaining arguments.
service_main() {
  local verb=${1:-}
  [ $# -gt 0 ] && shift
  case "$verb" in
    install | start | stop) serialize "$NAME"; "cmd_$verb" ;;
    status) cmd_status ;;
    *)
      if [ -n "$verb" ] && declare -F "cmd_${verb//-/_}" >/dev/null; then "cmd_${verb//-/_}" "$@"; else
        echo "usage: $0 install|start|stop|status$(declare -F | awk '{print $3}' | grep '^cmd_' | sed 's/^cmd_//; s/_/-/g' | grep -vxE 'install|start|stop|status' | sed 's/^/|/' | tr -d '\n')" >&2
        exit 2
      fi
      ;;
  esac
}

# Brings the whole stack up for one command (npm test, npm run bench) and leaves it as found:
# what this call starts is stopped again when the calling script exits. Then the stack's
# environment is loaded.
stack_up_for_this_run() {
  local already_up=false
  if pid_alive dapr-run && bash "$ROOT/scripts/infra.sh" status >/dev/null 2>&1; then already_up=true; fi
  if [ "$already_up" = false ]; then trap 'bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true' EXIT; fi
  bash "$ROOT/scripts/up.sh" >/dev/null
  source "$ROOT/scripts/stack-env.sh"
}
