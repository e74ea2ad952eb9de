#!/usr/bin/env bash
# Project-owned trace store: Zipkin's server (the official exec jar from Maven Central, checked
# against its published SHA-1, cached in $CACHE_DIR), in-memory storage, on loopback.
#   scripts/infra/zipkin.sh install|start|stop|status
# Every sidecar exports its spans to http://$ZIPKIN_HOST:$ZIPKIN_PORT/api/v2/spans
# (components/config/<app>.yaml, tracing.zipkin); the UI and API are on the same port. Spans are
# kept in memory only (at most ZIPKIN_MAX_SPANS): a restart forgets them. Log: $LOG_DIR/zipkin.log.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=zipkin
ZIPKIN_VERSION="${ZIPKIN_VERSION:-3.6.1}"
JAR_DIR="$CACHE_DIR/zipkin-$ZIPKIN_VERSION"
JAR="$JAR_DIR/zipkin-server-$ZIPKIN_VERSION-exec.jar"
URL="https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${ZIPKIN_START_TIMEOUT:-90}

jar_ok() { [ -s "$JAR" ] && [ -s "$JAR.sha1" ] && [ "$(sha1sum "$JAR" | cut -c1-40)" = "$(cut -c1-40 "$JAR.sha1")" ]; }

cmd_install() {
  jar_ok || {
    local tmp
    mkdir -p "$JAR_DIR"
    tmp=$(mktemp "$JAR_DIR/.download.XXXXXX")
    log "zipkin: downloading zipkin-server $ZIPKIN_VERSION from Maven Central"
    curl -fsSL --retry 3 -o "$tmp.sha1" "$URL.sha1" && curl -fsSL --retry 3 -o "$tmp" "$URL" \
      || { rm -f "$tmp" "$tmp.sha1"; die "could not download $URL"; }
    [ "$(sha1sum "$tmp" | cut -c1-40)" = "$(cut -c1-40 "$tmp.sha1")" ] || { rm -f "$tmp" "$tmp.sha1"; die "zipkin-server $ZIPKIN_VERSION does not match its published SHA-1"; }
    mv "$tmp.sha1" "$JAR.sha1" && mv "$tmp" "$JAR"
  }
  need_java17 9>&-
  jar_ok || die "zipkin-server $ZIPKIN_VERSION is not in $JAR_DIR"
}

url() { echo "http://$ZIPKIN_HOST:$ZIPKIN_PORT"; }
answers() { curl -fs -o /dev/null --max-time 2 "$(url)/health"; }

cmd_start() {
  jar_ok || die "zipkin is not installed: run $0 install"
  JAVA17=$(java17_home) || die "no Java 17 found: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "zipkin already running on $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    port_open "$ZIPKIN_HOST" "$ZIPKIN_PORT" && die "$ZIPKIN_HOST:$ZIPKIN_PORT is already taken by another process"
    rm -f "$RUN_DIR/$NAME.pid"
    log "zipkin: starting on $(url)"
    # The port list is given whole: overriding one field of Zipkin's default list would leave its port 0 (random).
    STORAGE_TYPE=mem MEM_MAX_SPANS="${ZIPKIN_MAX_SPANS:-200000}" \
      spawn_daemon "$NAME" "$LOG_FILE" "$JAVA17/bin/java" -Xms64m -Xmx"${ZIPKIN_HEAP:-512m}" -XX:+UseSerialGC -jar "$JAR" \
      "--armeria.ports[0].ip=$ZIPKIN_HOST" "--armeria.ports[0].port=$ZIPKIN_PORT" "--armeria.ports[0].protocols[0]=http"
  fi
  await_answering "$NAME" "answer /health" "$START_TIMEOUT" "$LOG_FILE"
  log "zipkin ready: $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  pid_alive "$NAME" && { log "zipkin: stopping"; stop_pid "$NAME" 20; }
  rm -f "$RUN_DIR/$NAME.pid"
  log "zipkin stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "zipkin: running, pid $(cat "$RUN_DIR/$NAME.pid"), $(url)"
  else
    echo "zipkin: not answering on $(url)"; return 1
  fi
}

service_main "$@"
