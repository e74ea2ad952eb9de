#!/usr/bin/env bash
# npm run down: stops what `up` (or `test`) started — apps, sidecars, placement, scheduler and
# the project's own infrastructure instances — and nothing else.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/stack-env.sh"
cd "$ROOT"

if pid_alive dapr-run; then
  log "stopping the apps and their sidecars"
  dapr stop -f dapr.yaml >>"$LOG_DIR/dapr-run.log" 2>&1 || true
  stop_pid dapr-run 20
fi
# Anything of ours that outlived its parent: processes whose command line names this checkout.
leftovers() { pgrep -f -- "$ROOT/(\\.dapr/bin/daprd|dist/)|\\.\\./\\.\\./dist/apps/" || true; }
for pid in $(leftovers); do
  [ "$(readlink -f "/proc/$pid/cwd" 2>/dev/null)" = "" ] && continue
  case "$(readlink -f "/proc/$pid/cwd")" in "$ROOT"*) kill -TERM "$pid" 2>/dev/null || true ;; esac
done
bash scripts/infra/dapr-control-plane.sh stop
bash scripts/infra.sh down
log "stopped"
