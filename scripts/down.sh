#!/usr/bin/env bash
# npm run down: stops what `up` (or `test`) started — apps, sidecars, placement, scheduler and
# the project's own infrastructure instances — and nothing else.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/stack-env.sh"
cd "$ROOT"

bash scripts/infra/nginx.sh stop
# Replicas first (SCALE: one `dapr run -f` per replica number), then dapr.yaml's.
for pidfile in "$RUN_DIR"/dapr-run-*.pid; do
  [ -f "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid)
  log "stopping the replicas of $name"
  stop_pid "$name" 20
done
if pid_alive dapr-run; then
  log "stopping the apps and their sidecars"
  dapr stop -f dapr.yaml >>"$LOG_DIR/dapr-run.log" 2>&1 || true
  stop_pid dapr-run 20
fi
rm -f "$RUN_DIR/scale" "$RUN_DIR/gateway-behind-nginx"
# Sidecars and apps that outlived `dapr run` (e.g. after a kill -9), found by what they run:
# this checkout's daprd, or a node process in one of this checkout's app folders.
ours() {
  for proc in /proc/[0-9]*; do
    local exe cwd
    exe=$(readlink "$proc/exe" 2>/dev/null) || continue
    cwd=$(readlink "$proc/cwd" 2>/dev/null) || continue
    case "$exe|$cwd" in
      "$(readlink -f "$ROOT/.dapr/bin/daprd")|"* | *"|$ROOT/apps/"*) echo "${proc#/proc/}" ;;
    esac
  done
}
leftover=$(ours)
if [ -n "$leftover" ]; then
  log "stopping $(echo "$leftover" | wc -w) leftover app/sidecar processes"
  # shellcheck disable=SC2086 # one pid per word
  kill -TERM $leftover 2>/dev/null || true
  for _ in $(seq 75); do [ -z "$(ours)" ] && break; sleep 0.2; done
  leftover=$(ours)
  # shellcheck disable=SC2086
  [ -z "$leftover" ] || kill -KILL $leftover 2>/dev/null || true
fi
bash scripts/infra/dapr-control-plane.sh stop
bash scripts/infra.sh down
log "stopped"
