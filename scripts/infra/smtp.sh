#!/usr/bin/env bash
# shellcheck disable=SC2153 # SMTP_PORT comes from env.sh
# A local SMTP server for the e-mails the apps send through Dapr's SMTP output binding
# (components/smtp.yaml): aiosmtpd from PyPI, in a Python venv, with its Mailbox handler.
#   scripts/infra/smtp.sh install|start|stop|status
# Plain SMTP on 127.0.0.1:$SMTP_PORT only: no STARTTLS (aiosmtpd offers it only with a
# certificate) and no AUTH (not required by default, and not even offered without TLS). Every
# message accepted is kept as one file in the Maildir $DATA_DIR/mail (new/ holds the delivered
# ones; aiosmtpd adds X-MailFrom and X-RcptTo headers with the envelope). Venv cached in
# $CACHE_DIR/aiosmtpd-<version>/; log: $LOG_DIR/smtp.log; pid: $RUN_DIR/smtp.pid.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=smtp
AIOSMTPD_VERSION="${AIOSMTPD_VERSION:-1.4.6}"
SMTP_HOST="${SMTP_HOST:-127.0.0.1}"
VENV="$CACHE_DIR/aiosmtpd-$AIOSMTPD_VERSION"
MAIL_DIR="$DATA_DIR/mail"
LOG_FILE="$LOG_DIR/$NAME.log"
START_TIMEOUT=${SMTP_START_TIMEOUT:-30}

# The venv imports aiosmtpd at the pinned version (also false when its base Python is gone).
venv_ok() {
  [ -x "$VENV/bin/python" ] \
    && "$VENV/bin/python" -I -c 'import sys, aiosmtpd; sys.exit(aiosmtpd.__version__ != sys.argv[1])' "$AIOSMTPD_VERSION" 2>/dev/null
}
# A Python that can make venvs (Debian's python3 needs python3-venv for ensurepip).
makes_venvs() { [ -n "$1" ] && "$1" -c 'import ensurepip, venv' >/dev/null 2>&1; }

cmd_install() {
  venv_ok && return 0
  local py tmp
  py=$(command -v python3 || true)
  if ! makes_venvs "$py"; then
    apt_install python3 python3-venv 9>&-
    py=/usr/bin/python3
  fi
  makes_venvs "$py" || die "python3 -m venv is not available (apt-get install python3-venv)"
  # Built beside the cache folder and moved into place at once, so concurrent clones never use a
  # half-made venv. Moving is safe: it is only ever run as $VENV/bin/python -m …, which finds its
  # site-packages through pyvenv.cfg next to bin/ (the pip scripts' shebangs keep the old path).
  tmp=$(mktemp -d "$CACHE_DIR/.aiosmtpd-build.XXXXXX")
  log "smtp: pip install aiosmtpd==$AIOSMTPD_VERSION into $VENV"
  if ! "$py" -m venv "$tmp" >&2 \
    || ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" >&2; then
    rm -rf "$tmp"; die "could not install aiosmtpd $AIOSMTPD_VERSION"
  fi
  venv_ok || rm -rf "$VENV"   # a broken one (e.g. its Python was removed)
  mv -T "$tmp" "$VENV" 2>/dev/null || rm -rf "$tmp"   # another clone was faster: keep its venv
  venv_ok || die "aiosmtpd $AIOSMTPD_VERSION is not importable from $VENV"
}

url() { echo "smtp://$SMTP_HOST:$SMTP_PORT"; }
# The port answers with an SMTP greeting (220); then QUIT politely. In a subshell: fd 3 stays there.
answers() (
  local line
  exec 3<>"/dev/tcp/$SMTP_HOST/$SMTP_PORT" || exit 1
  IFS= read -r -t 5 line <&3 || exit 1
  { printf 'QUIT\r\n' >&3 && read -r -t 2 _ <&3; } || true
  [[ $line == 220[\ -]* ]]
) 2>/dev/null

cmd_start() {
  venv_ok || die "aiosmtpd $AIOSMTPD_VERSION is not installed: run $0 install"
  if pid_alive "$NAME" && answers; then
    log "smtp already running on $(url) (pid $(cat "$RUN_DIR/$NAME.pid"))"
    return 0
  fi
  if ! pid_alive "$NAME"; then
    port_open "$SMTP_HOST" "$SMTP_PORT" && die "$SMTP_HOST:$SMTP_PORT is already taken by another process"
    # All three Maildir folders: Python's mailbox.Maildir makes them only when $MAIL_DIR itself
    # is missing (so: to empty the Maildir, delete the files in new/, never the folders).
    mkdir -p "$MAIL_DIR/tmp" "$MAIL_DIR/new" "$MAIL_DIR/cur"
    rm -f "$RUN_DIR/$NAME.pid"
    log "smtp: aiosmtpd $AIOSMTPD_VERSION starting on $(url), Maildir $MAIL_DIR"
    # -n: no setuid to nobody (who could not write the Maildir); -I: nothing from the working
    # directory or PYTHON* variables is imported. No TLS or AUTH options: plain SMTP on loopback.
    spawn_daemon "$NAME" "$LOG_FILE" "$VENV/bin/python" -I -m aiosmtpd -n -l "$SMTP_HOST:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAIL_DIR"
  fi
  await_answering "$NAME" "greet" "$START_TIMEOUT" "$LOG_FILE"
  log "smtp ready: $(url), Maildir $MAIL_DIR (pid $(cat "$RUN_DIR/$NAME.pid"))"
}

cmd_stop() {
  if pid_alive "$NAME"; then
    # SIGTERM ends it at once; a message is only ever renamed into new/ complete (Maildir).
    log "smtp: stopping"
    stop_pid "$NAME" 10
  fi
  rm -f "$RUN_DIR/$NAME.pid"
  log "smtp stopped"
}

cmd_status() {
  if pid_alive "$NAME" && answers; then
    echo "smtp: running, pid $(cat "$RUN_DIR/$NAME.pid"), $(url) (aiosmtpd $AIOSMTPD_VERSION, Maildir $MAIL_DIR)"
  else
    echo "smtp: not answering on $(url)"; return 1
  fi
}

service_main "$@"
