#!/usr/bin/env bash
# shellcheck disable=SC2153 # DATA_DIR, RUN_DIR, LOG_DIR, CACHE_DIR, ES_* come from env.sh
# Project-owned single-node Elasticsearch 8 (real server jars from Maven Central, see tools/es-node/).
#   scripts/infra/elasticsearch.sh install|start|stop|status
# HTTP on $ES_HOST:$ES_PORT, transport on $ES_HOST:$ES_TRANSPORT_PORT (default ES_PORT+100), plain
# HTTP, no security. Runtime (launcher + jars) cached in $CACHE_DIR/elasticsearch-<version>/, Maven's
# downloads in $CACHE_DIR/m2. Data: $DATA_DIR/elasticsearch (path.home; data/ and logs/ under it;
# under /var/lib/dapr-commerce in a clone its user cannot reach, see service_dir in scripts/lib.sh),
# owned by $SERVICE_USER: Elasticsearch refuses root. Log: $LOG_DIR/elasticsearch.log;
# pid: $RUN_DIR/elasticsearch.pid (the JVM). Runs on Java 17 (Elasticsearch 8 wants the Security
# Manager, gone from Java 24 on). Heap: ES_HEAP (default 512m); more JVM flags: ES_JAVA_OPTS.
# Not in this node (their modules are not on Maven Central): _reindex, _update_by_query,
# _delete_by_query, painless scripts, scaled_float / search_as_you_type, most of analysis-common
# (asciifolding and edge_ngram are provided by tools/es-node's CommercePlugin).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=elasticsearch
SRC_DIR="$ROOT/tools/es-node"
ES_VERSION=$(sed -n 's:.*<es.version>\(.*\)</es.version>.*:\1:p' "$SRC_DIR/pom.xml")
[ -n "$ES_VERSION" ] || die "no <es.version> in $SRC_DIR/pom.xml"
ES_HOME="$CACHE_DIR/elasticsearch-$ES_VERSION"     # lib/*.jar + .stamp; shared by every clone
ES_DIR=$(service_dir elasticsearch)                # this clone's node: path.home, data/, logs/ (scripts/lib.sh)
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-$((ES_PORT + 100))}"
ES_HEAP="${ES_HEAP:-512m}"
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${ES_START_TIMEOUT:-120}

# serialize (lib.sh) holds fd 9; the JVM is started with 9>&- so it does not keep the lock.

# What the cache must match: the launcher's sources (the pom names the version).
src_stamp() { (cd "$SRC_DIR" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1; }
installed() { [ -f "$ES_HOME/.stamp" ] && [ "$(cat "$ES_HOME/.stamp")" = "$(src_stamp)" ]; }

cmd_install() {
  ensure_service_user
  if installed; then log "elasticsearch $ES_VERSION: already installed in $ES_HOME"; return 0; fi
  need_java17
  command -v mvn >/dev/null || apt_install maven
  # Clones share the cache: one build at a time machine-wide.
  exec 8>"$CACHE_DIR/.$NAME-install.lock"; flock -w 900 8 || die "another elasticsearch install did not finish"
  if installed; then log "elasticsearch $ES_VERSION: installed meanwhile by another clone"; return 0; fi
  local t0=$SECONDS tmp
  tmp=$(mktemp -d "$CACHE_DIR/.elasticsearch-$ES_VERSION.XXXXXX")
  log "elasticsearch $ES_VERSION: resolving the server jars from Maven Central into $CACHE_DIR/m2 and building tools/es-node (first time: ~80 MB of downloads)"
  # es.build.dir keeps target/ out of the clone; copy-dependencies gathers the runtime classpath.
  local mvn_log="$LOG_DIR/$NAME-install.log"
  if ! JAVA_HOME="$JAVA17" mvn -q -B -f "$SRC_DIR/pom.xml" -Dmaven.repo.local="$CACHE_DIR/m2" \
      -Des.build.dir="$tmp/build" package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2; rm -rf "$tmp"; die "could not build tools/es-node (see $mvn_log)"
  fi
  cp "$tmp/build/es-node.jar" "$tmp/lib/"
  rm -rf "$tmp/build"
  src_stamp >"$tmp/.stamp"
  chmod -R a+rX "$tmp"
  rm -rf "$ES_HOME" && mv "$tmp" "$ES_HOME"
  log "elasticsearch $ES_VERSION: installed in $ES_HOME ($(find "$ES_HOME/lib" -name '*.jar' | wc -l) jars, $(du -sh "$ES_HOME" | cut -f1), $((SECONDS - t0)) s)"
}

url() { echo "http://$ES_HOST:$ES_PORT"; }
# Our JVM is alive: the recorded pid is live and is this clone's node (not a reused pid).
running() {
  pid_alive "$NAME" &&
    tr '\0' ' ' <"/proc/$(cat "$RUN_DIR/$NAME.pid")/cmdline" 2>/dev/null | grep -qF "org.elasticsearch.node.EsNode $ES_DIR "
}
healthy() { curl -fsS -m 10 -o /dev/null "$(url)/_cluster/health?wait_for_status=yellow&timeout=${1:-2s}" 2>/dev/null; }

# The service user must reach its data dir. The cache usually lies under root's 0700 home, out of its
# reach, so the runtime is mirrored into the data dir: hard links (no copy) when on the same file
# system, a copy otherwise; refreshed when the cache changes. Nothing outside the project is chmod-ed.
prepare_dirs() {
  ensure_service_user
  mkdir -p "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
  chmod 0750 "$ES_DIR"
  if [ "$(id -u)" = 0 ]; then
    # Everything but the runtime belongs to the service user (also repairs files a root run left).
    find "$ES_DIR" -path "$ES_DIR/runtime" -prune -o ! -user "$SERVICE_USER" -exec chown "$SERVICE_USER:" {} +
    as_service_user test -w "$ES_DIR/data" ||
      die "$SERVICE_USER cannot reach $ES_DIR (a parent directory is not traversable); move DATA_DIR or fix permissions"
  fi
  if [ "$(cat "$ES_DIR/runtime/.stamp" 2>/dev/null)" != "$(cat "$ES_HOME/.stamp")" ]; then
    rm -rf "$ES_DIR/runtime.new"
    cp -al "$ES_HOME" "$ES_DIR/runtime.new" 2>/dev/null || { rm -rf "$ES_DIR/runtime.new"; cp -a "$ES_HOME" "$ES_DIR/runtime.new"; }
    rm -rf "$ES_DIR/runtime" && mv "$ES_DIR/runtime.new" "$ES_DIR/runtime"
  fi
  as_service_user test -r "$ES_DIR/runtime/lib/es-node.jar" || die "$SERVICE_USER cannot read $ES_DIR/runtime"
}

cmd_start() {
  installed || cmd_install
  if running && healthy; then
    log "elasticsearch already running on $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  need_java17
  local t0=$SECONDS
  if ! running; then
    port_open "$ES_HOST" "$ES_PORT" && die "$ES_HOST:$ES_PORT is already taken by another process"
    port_open "$ES_HOST" "$ES_TRANSPORT_PORT" && die "$ES_HOST:$ES_TRANSPORT_PORT (transport) is already taken; set ES_TRANSPORT_PORT"
    rm -f "$RUN_DIR/$NAME.pid" "$ES_DIR/es-node.pid"
    prepare_dirs
    log "elasticsearch $ES_VERSION: starting on $(url) as $SERVICE_USER (Java 17 from $JAVA17)"
    local jvm=(
      -Xms256m "-Xmx$ES_HEAP" -XX:MaxDirectMemorySize=256m -Xss1m  # bounded memory; Netty buffers are direct
      -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
      -Djava.io.tmpdir="$ES_DIR/tmp" -Djava.awt.headless=true -Dfile.encoding=UTF-8
      -Djna.nosys=true                                           # use the JNA jar on the classpath, not the system's
      -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
      -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
      -Dlog4j.shutdownHookEnabled=false                          # keep logging while the node closes
    )
    # shellcheck disable=SC2206 # ES_JAVA_OPTS is a list of flags
    jvm+=(${ES_JAVA_OPTS:-})
    # The child shell records the JVM's pid (it execs java), as the service user, in a file it owns.
    # shellcheck disable=SC2016 # expanded by the child shell
    as_service_user setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$ES_DIR/es-node.pid" \
      "$JAVA17/bin/java" "${jvm[@]}" -cp "$ES_DIR/runtime/lib/*" org.elasticsearch.node.EsNode \
      "$ES_DIR" "$ES_HOST" "$ES_PORT" "$ES_TRANSPORT_PORT" >>"$LOG_FILE" 2>&1 </dev/null 9>&- 8>&- &
    for _ in $(seq 100); do [ -s "$ES_DIR/es-node.pid" ] && break; sleep 0.05; done
    [ -s "$ES_DIR/es-node.pid" ] || die "elasticsearch did not start (see $LOG_FILE)"
    cp "$ES_DIR/es-node.pid" "$RUN_DIR/$NAME.pid"
  fi
  local pid deadline=$((SECONDS + START_TIMEOUT))
  pid=$(cat "$RUN_DIR/$NAME.pid")
  until healthy 1s; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOG_FILE" >&2; rm -f "$RUN_DIR/$NAME.pid"; die "elasticsearch exited (see $LOG_FILE)"; }
    [ $SECONDS -lt $deadline ] || die "elasticsearch not yellow on $(url) within ${START_TIMEOUT}s (see $LOG_FILE)"
    sleep 0.5
  done
  log "elasticsearch ready: $(url) (pid $pid, $((SECONDS - t0)) s)"
}

cmd_stop() {
  # Fall back on the pid the JVM's shell wrote, should $RUN_DIR have lost ours.
  [ -f "$RUN_DIR/$NAME.pid" ] || [ ! -s "$ES_DIR/es-node.pid" ] || cp "$ES_DIR/es-node.pid" "$RUN_DIR/$NAME.pid"
  if running; then
    log "elasticsearch: stopping (pid $(cat "$RUN_DIR/$NAME.pid"); SIGTERM closes the node cleanly)"
    stop_pid "$NAME" 30
  fi
  rm -f "$RUN_DIR/$NAME.pid" "$ES_DIR/es-node.pid"
  log "elasticsearch stopped"
}

cmd_status() {
  if healthy; then
    echo "elasticsearch: running, pid $(cat "$RUN_DIR/$NAME.pid" 2>/dev/null || echo '?'), $(url)"
  else
    echo "elasticsearch: not answering on $(url)"; return 1
  fi
}

service_main "$@"
