#!/usr/bin/env bash
# Project-owned nginx (Debian's package, our own config) in front of the gateway replicas:
#   scripts/infra/nginx.sh install|start|stop|status
# Started by `npm run up` only when SCALE runs more than one gateway: it then owns the public
# 127.0.0.1:$GATEWAY_PORT and balances over the ports in $RUN_DIR/replicas/gateways (written by
# scripts/replicas.ts). Config: $DATA_DIR/nginx/nginx.conf; log: $LOG_DIR/nginx*.log.
#
# What it adds and what it must not change: it writes X-Forwarded-For itself (a client's own
# header is dropped; the gateways trust its last entry, GATEWAY_TRUST_PROXY), passes the request
# URI exactly as sent (the gateway's path checks see what the client sent), buffers request
# bodies (a slow client holds nginx, not a gateway), retries a connection that failed on the next
# replica (never a request already sent), and answers its own errors as problem+json like the
# gateway does (a 502/504 from no replica answering is a 503 with Retry-After).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=nginx
NGINX_DIR="$DATA_DIR/nginx"
CONF="$NGINX_DIR/nginx.conf"
TMP_DIR="$(service_dir nginx)/tmp"
LOG_FILE="$LOG_DIR/$NAME.log"
GATEWAYS="$RUN_DIR/replicas/gateways"
PORT=${GATEWAY_PORT:-8000}

cmd_install() {
  command -v nginx >/dev/null && return 0
  apt_install nginx-light 9>&- || apt_install nginx 9>&-
  # The package starts a system nginx on :80 (and enables it): not ours.
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx || true; fi
  [ -f /run/nginx.pid ] && kill -QUIT "$(cat /run/nginx.pid)" 2>/dev/null || true
  command -v nginx >/dev/null || die "nginx is not installed"
}

answers() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz"; }

# problem STATUS TITLE DETAIL: a location body answering STATUS as application/problem+json.
problem() {
  printf "default_type application/problem+json; return %s '{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%s,\"detail\":\"%s\"}';" "$1" "$2" "$1" "$3"
}

write_config() {
  local upstreams="" port
  [ -s "$GATEWAYS" ] || die "no gateway replicas in $GATEWAYS (SCALE=gateway=2 or more; scripts/replicas.ts writes it)"
  while read -r port; do
    # One failed connection takes a replica out for 2 s; the request goes on to the next one.
    upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"$'\n'
  done <"$GATEWAYS"
  mkdir -p "$NGINX_DIR" "$TMP_DIR"
  ensure_service_user
  # Workers run as the service user (never root, when we are root) and buffer request bodies
  # here: a folder that user can reach (service_dir).
  [ "$(id -u)" = 0 ] && chown "$SERVICE_USER" "$TMP_DIR"
  cat >"$CONF" <<EOF
# Written by scripts/infra/nginx.sh on every start; edits are overwritten.
worker_processes auto;
$([ "$(id -u)" = 0 ] && echo "user $SERVICE_USER;")
pid $RUN_DIR/nginx.master.pid;
error_log $LOG_DIR/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $TMP_DIR/body;
  proxy_temp_path $TMP_DIR/proxy;
  fastcgi_temp_path $TMP_DIR/fastcgi;
  uwsgi_temp_path $TMP_DIR/uwsgi;
  scgi_temp_path $TMP_DIR/scgi;
  upstream gateways {
$upstreams    keepalive 64;
  }
  server {
    listen 127.0.0.1:$PORT reuseport backlog=4096;
    # Above the gateway's own limit (HTTP_BODY_LIMIT_BYTES, 1 MiB), so the gateway is the one that says 413.
    client_max_body_size 2m;
    large_client_header_buffers 4 16k;
    # A request line in absolute form (GET http://other-host/...) names a host: refused, as the
    # gateway refuses it, instead of nginx taking the host from it and passing the path on.
    if (\$request ~ "^[^ ]+ [A-Za-z][A-Za-z0-9+.-]*://") { return 400; }
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_connect_timeout 1s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      proxy_intercept_errors off;
    }
    # nginx's own refusals (a request line it cannot parse, headers too large, a body over its
    # limit, a slow client), as problem+json. URI locations, not named ones: a request refused
    # while its request line is read has no URI, and a redirect to a named location fails (500).
    error_page 400 494 =400 /.problem/400;
    error_page 408 /.problem/408;
    error_page 413 /.problem/413;
    error_page 414 /.problem/414;
    error_page 500 502 503 504 =503 /.problem/503;
    location = /.problem/400 { internal; $(problem 400 'Bad Request' 'The request is malformed.') }
    location = /.problem/408 { internal; $(problem 408 'Request Timeout' 'The request was not received in time.') }
    location = /.problem/413 { internal; $(problem 413 'Payload Too Large' 'The request body is too large.') }
    location = /.problem/414 { internal; $(problem 414 'URI Too Long' 'The request URI is too long.') }
    location = /.problem/503 { internal; add_header Retry-After 1 always; $(problem 503 'Service Unavailable' 'No gateway replica answered; try again.') }
  }
}
EOF
  nginx -t -q -c "$CONF" -p "$NGINX_DIR" 2>>"$LOG_FILE" || die "nginx refused $CONF (see $LOG_FILE)"
}

cmd_start() {
  command -v nginx >/dev/null || die "nginx is not installed: run $0 install"
  if pid_alive "$NAME"; then
    # New replicas (a second `npm run up` with another SCALE): the new config, reloaded in place.
    write_config
    kill -HUP "$(cat "$RUN_DIR/$NAME.pid")"
    log "nginx: reloaded on 127.0.0.1:$PORT"
    return 0
  fi
  port_open 127.0.0.1 "$PORT" && die "127.0.0.1:$PORT is already taken (a gateway started without SCALE? npm run down first)"
  write_config
  rm -f "$RUN_DIR/$NAME.pid"
  log "nginx: starting on 127.0.0.1:$PORT in front of $(wc -l <"$GATEWAYS") gateways"
  spawn_daemon "$NAME" "$LOG_FILE" nginx -c "$CONF" -p "$NGINX_DIR"
  await_answering "$NAME" "answer /healthz" 30 "$LOG_FILE"
  log "nginx ready: http://127.0.0.1:$PORT"
}

cmd_stop() {
  pid_alive "$NAME" && { log "nginx: stopping"; stop_pid "$NAME" 20; }
  rm -f "$RUN_DIR/$NAME.pid"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then echo "nginx: running, pid $(cat "$RUN_DIR/$NAME.pid"), http://127.0.0.1:$PORT"; else
    echo "nginx: not answering on 127.0.0.1:$PORT"; return 1
  fi
}

service_main "$@"
