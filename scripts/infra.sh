#!/usr/bin/env bash
# The project's backing services, all on loopback, all data under $DATA_DIR.
#   scripts/infra.sh up       install what is missing, start what is not running (idempotent)
#   scripts/infra.sh down     stop everything this project started
#   scripts/infra.sh status   exit 0 only when every service answers
# Services, in this order: postgres redis rabbitmq stripe-mock smtp elasticsearch prometheus jaeger; each is
# scripts/infra/<name>.sh with install|start|stop|status (elasticsearch only if its script exists).
# Installs that go through apt run one after the other (dpkg takes a lock); the Go builds
# (stripe-mock, Jaeger, Helm for the chart tests) run alongside them. Starts (and stops) run in parallel; the summary keeps the order above.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/infra" && pwd)"
SERVICES=(postgres redis rabbitmq stripe-mock smtp elasticsearch prometheus jaeger)
GO_BUILDS=(stripe-mock jaeger helm)   # installed by go build, not apt: alongside the others (helm: a tool, never started)

present() { [ -f "$INFRA_DIR/$1.sh" ]; }

url_of() {
  case $1 in
    postgres) echo "postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DATABASE" ;;
    redis) echo "redis://$REDIS_HOST:$REDIS_PORT" ;;
    rabbitmq)
      local mgmt=""
      [ "${RABBITMQ_MANAGEMENT:-1}" = 1 ] && mgmt=" (management http://127.0.0.1:${RABBITMQ_MGMT_PORT:-15673}/)"
      echo "amqp://$RABBITMQ_USER@$RABBITMQ_HOST:$RABBITMQ_PORT/$mgmt" ;;
    stripe-mock) echo "http://127.0.0.1:$STRIPE_MOCK_PORT" ;;
    smtp) echo "smtp://127.0.0.1:$SMTP_PORT (Maildir $DATA_DIR/mail)" ;;
    elasticsearch) echo "http://$ES_HOST:$ES_PORT" ;;
    jaeger) echo "http://$JAEGER_HOST:$JAEGER_UI_PORT (traces of every sidecar; OTLP :$JAEGER_OTLP_PORT)" ;;
    prometheus) echo "http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (PostgreSQL exporter :$PG_EXPORTER_PORT, RabbitMQ :$RABBITMQ_PROMETHEUS_PORT)" ;;
  esac
}

OUT=$(mktemp -d "${TMPDIR:-/tmp}/infra.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# step SERVICE ACTION: runs the service script, output in $OUT/SERVICE.ACTION.log, exit code
# in .rc, duration in .secs. Never fails itself.
step() {
  local svc=$1 action=$2 t0=$EPOCHREALTIME rc=0
  bash "$INFRA_DIR/$svc.sh" "$action" >"$OUT/$svc.$action.log" 2>&1 || rc=$?
  echo "$rc" >"$OUT/$svc.$action.rc"
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }' >"$OUT/$svc.$action.secs"
}
ok() { [ "$(cat "$OUT/$1.$2.rc" 2>/dev/null)" = 0 ]; }
secs() { cat "$OUT/$1.$2.secs" 2>/dev/null || echo -; }
show_failure() { log "$1 $2 failed:"; sed 's/^/    /' "$OUT/$1.$2.log" >&2; }

# parallel ACTION SERVICE...: runs ACTION for every present SERVICE at once.
parallel() {
  local action=$1 svc pids=(); shift
  for svc in "$@"; do present "$svc" && { step "$svc" "$action" & pids+=($!); }; done
  [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
}

cmd_up() {
  local svc failed=0 build_pids=()
  ensure_service_user   # once, before anything runs in parallel
  # Installs. apt users one at a time; the Go builds next to them.
  for svc in "${GO_BUILDS[@]}"; do present "$svc" && { step "$svc" install & build_pids+=($!); }; done
  for svc in "${SERVICES[@]}"; do
    [[ " ${GO_BUILDS[*]} " == *" $svc "* ]] || ! present "$svc" || step "$svc" install
  done
  [ ${#build_pids[@]} -eq 0 ] || wait "${build_pids[@]}"
  local to_start=()
  for svc in "${SERVICES[@]}"; do
    present "$svc" || continue
    if ok "$svc" install; then to_start+=("$svc"); else show_failure "$svc" install; failed=1; fi
  done
  parallel start "${to_start[@]}"
  for svc in "${SERVICES[@]}"; do
    if ! present "$svc"; then
      printf '%-14s %-8s %s\n' "$svc" skipped "(no scripts/infra/$svc.sh)"
    elif ok "$svc" start; then
      printf '%-14s %-8s %-70s install %ss, start %ss\n' "$svc" up "$(url_of "$svc")" "$(secs "$svc" install)" "$(secs "$svc" start)"
    else
      ok "$svc" install && show_failure "$svc" start
      printf '%-14s %-8s %s\n' "$svc" FAILED "see $LOG_DIR/$svc.log"
      failed=1
    fi
  done
  return $failed
}

cmd_down() {
  local svc failed=0 reversed=()
  for svc in "${SERVICES[@]}"; do reversed=("$svc" "${reversed[@]}"); done
  parallel stop "${reversed[@]}"
  for svc in "${SERVICES[@]}"; do
    present "$svc" || continue
    if ok "$svc" stop; then
      printf '%-14s %-8s %ss\n' "$svc" stopped "$(secs "$svc" stop)"
    else
      show_failure "$svc" stop; printf '%-14s %s\n' "$svc" FAILED; failed=1
    fi
  done
  return $failed
}

cmd_status() {
  local svc failed=0
  parallel status "${SERVICES[@]}"
  for svc in "${SERVICES[@]}"; do
    present "$svc" || continue
    if ok "$svc" status; then
      printf '%-14s %-8s %s\n' "$svc" up "$(url_of "$svc")"
    else
      printf '%-14s %-8s %s\n' "$svc" DOWN "$(tail -n 1 "$OUT/$svc.status.log")"; failed=1
    fi
  done
  return $failed
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
