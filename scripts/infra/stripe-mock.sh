#!/usr/bin/env bash
# shellcheck disable=SC2153 # STRIPE_MOCK_PORT comes from env.sh
# Stripe's official API mock (github.com/stripe/stripe-mock), built from the Go module proxy.
#   scripts/infra/stripe-mock.sh install|start|stop|status
# Plain HTTP on 127.0.0.1:$STRIPE_MOCK_PORT (no HTTPS port; see cmd_start). Binary cached in
# $CACHE_DIR/stripe-mock-<version>/; log: $LOG_DIR/stripe-mock.log; pid: $RUN_DIR/stripe-mock.pid.
# stripe-mock is stateless: nothing is kept under $DATA_DIR.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=stripe-mock
# Newest version the module proxy serves (go list -m -versions github.com/stripe/stripe-mock).
STRIPE_MOCK_VERSION="${STRIPE_MOCK_VERSION:-v0.203.0}"
STRIPE_MOCK_HOST="${STRIPE_MOCK_HOST:-127.0.0.1}"
BIN_DIR="$CACHE_DIR/stripe-mock-$STRIPE_MOCK_VERSION"
BIN="$BIN_DIR/stripe-mock"
LOG_FILE="$LOG_DIR/$NAME.log"
HTTPS_SOCK="$RUN_DIR/$NAME-https.sock"
START_TIMEOUT=${STRIPE_MOCK_START_TIMEOUT:-30}

cmd_install() { go_install_cached stripe-mock "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" "$BIN"; }

url() { echo "http://$STRIPE_MOCK_HOST:$STRIPE_MOCK_PORT"; }
answers() {
  [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H 'Authorization: Bearer sk_test_123' "$(url)/v1/customers" 2>/dev/null)" = 200 ]
}

cmd_start() {
  [ -x "$BIN" ] || die "stripe-mock $STRIPE_MOCK_VERSION is not built: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "stripe-mock already running on $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    port_open "$STRIPE_MOCK_HOST" "$STRIPE_MOCK_PORT" && die "$STRIPE_MOCK_HOST:$STRIPE_MOCK_PORT is already taken by another process"
    rm -f "$RUN_DIR/$NAME.pid"
    log "stripe-mock $STRIPE_MOCK_VERSION: starting on $(url)"
    # -http-addr is -http-port bound to one address. Unlike -http-port it does not switch off the
    # default HTTPS listener (*:12112, all interfaces) in stripe-mock's option handling, so that
    # listener is parked on a unix socket under $RUN_DIR: no TCP port besides the loopback HTTP one.
    # (A unix socket path has at most 107 bytes; past that, an OS-chosen port on loopback.)
    local https=(-https-unix "$HTTPS_SOCK")
    [ ${#HTTPS_SOCK} -le 107 ] || https=(-https-addr 127.0.0.1:0)
    rm -f "$HTTPS_SOCK"
    spawn_daemon "$NAME" "$LOG_FILE" "$BIN" -http-addr "$STRIPE_MOCK_HOST:$STRIPE_MOCK_PORT" "${https[@]}"
  fi
  await_answering "$NAME" "answer" "$START_TIMEOUT" "$LOG_FILE"
  log "stripe-mock ready: $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  if pid_alive "$NAME"; then
    log "stripe-mock: stopping"
    stop_pid "$NAME" 10
  fi
  rm -f "$RUN_DIR/$NAME.pid" "$HTTPS_SOCK"
  log "stripe-mock stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "stripe-mock: running, pid $(cat "$RUN_DIR/$NAME.pid"), $(url) ($STRIPE_MOCK_VERSION)"
  else
    echo "stripe-mock: not answering on $(url)"; return 1
  fi
}

service_main "$@"
