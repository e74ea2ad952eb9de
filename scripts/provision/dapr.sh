#!/usr/bin/env bash
# Provides the Dapr runtime (daprd, placement, scheduler, sentry 1.18.3) and CLI under $ROOT/.dapr/bin.
# Prefers an installed Dapr 1.18 (`dapr init` puts it in ~/.dapr/bin); otherwise builds it from
# the Go module proxy once and caches it in $CACHE_DIR by version. Idempotent.
source "$(dirname "$0")/../lib.sh"

BIN="$ROOT/.dapr/bin"
mkdir -p "$BIN"

version_of() { "$1" --version 2>/dev/null | head -1 | tr -d '[:space:]'; }

link() { ln -sfn "$1" "$BIN/$2"; }

# Our build carries fixes of upstream bugs as patches (tools/dapr/patches/<module>/*.patch, applied
# to the vendored module through -overlay). The cache folder is named after a hash of everything
# that decides what is built: the patches, the component set daprd registers
# (tools/dapr/daprd/main.go) and the module versions (tools/dapr/go.mod, go.sum), each file's
# path and content. So a change of any of them builds again, and a runtime linked from anywhere
# else is replaced.
PATCHES_DIR="$ROOT/tools/dapr/patches"
PATCH_STAMP=$(cd "$ROOT/tools/dapr" && { find patches -name '*.patch' -type f | LC_ALL=C sort; printf '%s\n' daprd/main.go go.mod go.sum; } \
  | xargs sha256sum | sha256sum | cut -c1-8)
OUT="$CACHE_DIR/dapr-$DAPR_VERSION-p$PATCH_STAMP"

runtime_ok() {
  [ -x "$BIN/daprd" ] && [ -x "$BIN/placement" ] && [ -x "$BIN/scheduler" ] && [ -x "$BIN/sentry" ] \
    && [ "$(version_of "$BIN/daprd")" = "$DAPR_VERSION" ] \
    && { [ "$(readlink "$BIN/daprd")" = "$OUT/daprd" ] || [ "${DAPR_COMMERCE_INSTALLED_DAPR:-0}" = 1 ]; }
}
cli_ok() { [ -x "$BIN/dapr" ] && "$BIN/dapr" --version >/dev/null 2>&1; }

if runtime_ok && cli_ok; then exit 0; fi

# 1. An installed Dapr (dapr init), when asked for (DAPR_COMMERCE_INSTALLED_DAPR=1): its binaries
#    if they are the 1.18 line. It lacks our patches (see tools/dapr/patches).
if ! runtime_ok && [ "${DAPR_COMMERCE_INSTALLED_DAPR:-0}" = 1 ] && [ -x "$HOME/.dapr/bin/daprd" ] && [[ "$(version_of "$HOME/.dapr/bin/daprd")" == 1.18.* ]] \
   && [ -x "$HOME/.dapr/bin/placement" ] && [ -x "$HOME/.dapr/bin/scheduler" ] && [ -x "$HOME/.dapr/bin/sentry" ]; then
  log "using the installed Dapr runtime in ~/.dapr/bin ($(version_of "$HOME/.dapr/bin/daprd"))"
  for b in daprd placement scheduler sentry; do link "$HOME/.dapr/bin/$b" "$b"; done
  DAPR_VERSION=$(version_of "$HOME/.dapr/bin/daprd")
fi
if ! cli_ok && command -v dapr >/dev/null 2>&1; then
  log "using the installed Dapr CLI ($(command -v dapr))"
  link "$(command -v dapr)" dapr
fi

# 2. Otherwise build from the Go module proxy (about 3–6 minutes the first time, then cached).
command -v go >/dev/null || die "Go is needed to build Dapr (apt-get install golang or see README)"
export GOFLAGS=-mod=mod GONOSUMDB=github.com/diagridio   # its go.mod's sum is missing from the checksum DB mirror

if ! runtime_ok; then
  out="$OUT"
  if [ ! -x "$out/daprd" ] || [ ! -x "$out/placement" ] || [ ! -x "$out/scheduler" ] || [ ! -x "$out/sentry" ]; then
    log "building Dapr $DAPR_VERSION runtime from the Go module proxy into $out (first run only)"
    src="$out/src"
    rm -rf "$src" && mkdir -p "$src"
    cp -r "$ROOT/tools/dapr/." "$src/"
    cd "$src"
    # Vendoring lets the build replace upstream's zz_notag.go (a panic guard for builds without
    # the stable/all tags) through -overlay, which refuses files inside the module cache.
    log "  downloading modules (go mod vendor)"
    GOFLAGS=-mod=mod go mod vendor -e >"$LOG_DIR/dapr-vendor.log" 2>&1 || die "go mod vendor failed (see $LOG_DIR/dapr-vendor.log)"
    printf 'package components\n' >"$src/no_component_tags.go.txt"
    replace=$(printf '"%s":"%s"' "$src/vendor/github.com/dapr/dapr/cmd/daprd/components/zz_notag.go" "$src/no_component_tags.go.txt")
    # Each patch: its module's files copied out of vendor/, patched there, swapped in by the overlay.
    for patchfile in "$PATCHES_DIR"/*/*.patch; do
      [ -f "$patchfile" ] || continue
      module="github.com/dapr/$(basename "$(dirname "$patchfile")")"
      for file in $(sed -n 's#^+++ b/##p' "$patchfile"); do
        [ -f "$src/patched/$module/$file" ] && continue   # an earlier patch of the same file copied it
        mkdir -p "$src/patched/$module/$(dirname "$file")"
        cp "$src/vendor/$module/$file" "$src/patched/$module/$file" && chmod u+w "$src/patched/$module/$file"
        replace+=$(printf ',"%s":"%s"' "$src/vendor/$module/$file" "$src/patched/$module/$file")
      done
      patch -s -d "$src/patched/$module" -p1 <"$patchfile" || die "patch $(basename "$patchfile") does not apply to $module"
      log "  patched $module: $(basename "$patchfile")"
    done
    printf '{"Replace":{%s}}' "$replace" >"$src/overlay.json"
    ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION"
    for target in ./daprd github.com/dapr/dapr/cmd/placement github.com/dapr/dapr/cmd/scheduler github.com/dapr/dapr/cmd/sentry; do
      name=$(basename "$target")
      [ -x "$out/$name" ] && continue   # a cache from before sentry was added keeps its other binaries
      log "  go build $name"
      GOFLAGS=-mod=vendor go build -overlay "$src/overlay.json" -ldflags "$ldflags" -o "$out/$name.tmp" "$target" \
        >"$LOG_DIR/dapr-build-$name.log" 2>&1 || die "building $name failed (see $LOG_DIR/dapr-build-$name.log)"
      mv "$out/$name.tmp" "$out/$name"
    done
    cd "$ROOT" && rm -rf "$src"
  fi
  for b in daprd placement scheduler sentry; do link "$out/$b" "$b"; done
fi

if ! cli_ok; then
  out="$CACHE_DIR/dapr-cli-$DAPR_CLI_VERSION"
  if [ ! -x "$out/dapr" ]; then
    log "building the Dapr CLI $DAPR_CLI_VERSION from the Go module proxy into $out (first run only)"
    mkdir -p "$out"
    (cd "$ROOT/tools/dapr-cli" && go build -ldflags "-s -w -X main.version=$DAPR_CLI_VERSION" -o "$out/dapr.tmp" github.com/dapr/cli) \
      >"$LOG_DIR/dapr-cli-build.log" 2>&1 || die "building the Dapr CLI failed (see $LOG_DIR/dapr-cli-build.log)"
    mv "$out/dapr.tmp" "$out/dapr"
  fi
  link "$out/dapr" dapr
fi

runtime_ok || [[ "$(version_of "$BIN/daprd")" == 1.18.* ]] || die "daprd in $BIN is not 1.18"
log "Dapr runtime $(version_of "$BIN/daprd"), CLI $("$BIN/dapr" --version | head -1 | awk '{print $3}') in $BIN"
