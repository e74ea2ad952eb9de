#!/usr/bin/env bash
# Helm, built from the Go module proxy: the chart tests render and lint charts/dapr-commerce with it
# (test/unit/chart-*.test.ts, through $HELM from env.sh). A tool, not a service: start and stop do nothing.
#   scripts/infra/helm.sh install|start|stop|status
# Binary cached in $CACHE_DIR/helm-<version>/.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=helm
BIN="$HELM"

cmd_install() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || die "go is not installed (needed to build helm)"
  local tmp; tmp=$(mktemp -d "$CACHE_DIR/.helm-build.XXXXXX")
  log "helm: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  # -mod=mod: helm's go.mod has replace directives that `go install pkg@version` refuses otherwise.
  if ! GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2; then
    rm -rf "$tmp"; die "could not build helm $HELM_VERSION"
  fi
  mkdir -p "$(dirname "$BIN")"
  mv -f "$tmp/helm" "$BIN.tmp$$" && mv -f "$BIN.tmp$$" "$BIN"   # atomic for concurrent clones
  rm -rf "$tmp"
}

cmd_start() { :; }
cmd_stop() { :; }

cmd_status() {
  if [ -x "$BIN" ]; then echo "helm: $("$BIN" version --short 2>/dev/null) at $BIN"; else echo "helm: not built (run $0 install)"; return 1; fi
}

service_main "$@"
