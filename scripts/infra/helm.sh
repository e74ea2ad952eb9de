#!/usr/bin/env bash
# Helm, built from the Go module proxy: the chart tests render and lint charts/dapr-commerce with it
# (test/unit/chart-*.test.ts, through $HELM from env.sh). A tool, not a service: start and stop do nothing.
#   scripts/infra/helm.sh install|start|stop|status
# Binary cached in $CACHE_DIR/helm-<version>/.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME=helm
BIN="$HELM"

# -mod=mod: helm's go.mod has replace directives that `go install pkg@version` refuses otherwise.
cmd_install() { go_install_cached helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "$BIN" -mod=mod; }

cmd_start() { :; }
cmd_stop() { :; }

cmd_status() {
  if [ -x "$BIN" ]; then echo "helm: $("$BIN" version --short 2>/dev/null) at $BIN"; else echo "helm: not built (run $0 install)"; return 1; fi
}

service_main "$@"
