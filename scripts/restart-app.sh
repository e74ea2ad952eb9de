#!/usr/bin/env bash
# Restarts one app of the running stack (and its sidecar) exactly as `dapr run -f` started
# them — same arguments, environment and folder — after `npm run build`. For development:
#   npm run build && bash scripts/restart-app.sh inventory
# The sidecar restarts too, so it re-reads the app's actor types and subscriptions.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
app=${1:?usage: restart-app.sh <app-id>}

find_pid() { # pattern → pid of the process whose argv matches (never this script's own grep)
  local cmd
  for proc in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
    case "$cmd" in grep\ * | tr\ *) continue ;; esac
    [[ $cmd =~ $1 ]] && { echo "${proc#/proc/}"; return 0; }
  done
  return 1
}

relaunch() { # pid logname: kill it and start it again as it was
  local pid=$1 name=$2 cwd args envs
  cwd=$(readlink "/proc/$pid/cwd")
  mapfile -d '' args <"/proc/$pid/cmdline"
  mapfile -d '' envs <"/proc/$pid/environ"
  kill -TERM "$pid"
  for _ in $(seq 100); do proc_gone "$pid" && break; sleep 0.2; done
  proc_gone "$pid" || kill -KILL "$pid"
  # The subshell gives up our stdout too, so a caller piping this script is not held open.
  (cd "$cwd" && setsid env -i "${envs[@]}" "${args[@]}" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &) >/dev/null 2>&1
}

app_pid=$(find_pid "dist/apps/$app/src/main.js") || die "$app is not running (npm run up first)"
sidecar_pid=$(find_pid "daprd .*--app-id $app ") || die "the sidecar of $app is not running"
relaunch "$sidecar_pid" "$app-daprd-restarted"
relaunch "$app_pid" "$app-app-restarted"
port=$(tr '\0' '\n' <"/proc/$(find_pid "daprd .*--app-id $app ")/cmdline" | grep -A1 -- '--app-port' | tail -1)
for _ in $(seq 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && { log "$app restarted and ready"; exit 0; }; sleep 0.2; done
die "$app did not become ready (see $LOG_DIR/$app-app-restarted.log)"
