#!/usr/bin/env bash
# Installs the tools that `npm run test:e2e` runs as real processes:
#
#   otelcol     built with the OpenTelemetry Collector Builder from
#               deploy/otelcol/builder-manifest.yaml (the components that
#               collector-config.yaml uses), strict versioning on;
#   jaeger      Jaeger v2, built from the Go module in deploy/jaeger/build;
#   victoria-logs  VictoriaLogs (the log backend of the collector's logs
#               pipeline), built from the Go module in deploy/victorialogs/build;
#   prometheus, promtool and docker-compose from Debian's packages.
#
# Idempotent: built binaries are cached outside the repository, in
# ${STAGETRACE_TOOLS_DIR:-~/.cache/stagetrace-tools}, under a directory named
# after the version and a hash of the inputs they were built from, and reused
# when present. From empty Go caches the three builds take about 14 minutes on
# two cores; with the binaries cached the script takes a second.
#
# Needs Go (https://go.dev/dl/) and, for the Debian packages, root or sudo.
# Prints where the binaries are; the end-to-end tests find them there.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../deploy/stack-versions.env
. "$REPO/deploy/stack-versions.env"

TOOLS_DIR=${STAGETRACE_TOOLS_DIR:-$HOME/.cache/stagetrace-tools}
MANIFEST="$REPO/deploy/otelcol/builder-manifest.yaml"
JAEGER_MODULE_DIR="$REPO/deploy/jaeger/build"
VICTORIALOGS_MODULE_DIR="$REPO/deploy/victorialogs/build"

die() {
  printf 'install-stack-tools: %s\n' "$*" >&2
  exit 1
}

# The first 12 hex digits of the SHA-256 of the given files, concatenated.
# test/e2e computes the same key to find the binaries.
inputs_hash() {
  cat "$@" | sha256sum | cut -c1-12
}

OTELCOL_DIR="$TOOLS_DIR/otelcol-$OTELCOL_VERSION-$(inputs_hash "$MANIFEST")"
JAEGER_DIR="$TOOLS_DIR/jaeger-$JAEGER_VERSION-$(inputs_hash "$JAEGER_MODULE_DIR/go.mod" "$JAEGER_MODULE_DIR/go.sum")"
VICTORIALOGS_DIR="$TOOLS_DIR/victorialogs-$VICTORIALOGS_VERSION-$(inputs_hash "$VICTORIALOGS_MODULE_DIR/go.mod" "$VICTORIALOGS_MODULE_DIR/go.sum")"
BUILDER="$TOOLS_DIR/builder-$OTELCOL_VERSION/builder"

check_inputs() {
  grep -qE "^  version: $OTELCOL_VERSION\$" "$MANIFEST" ||
    die "$MANIFEST: dist.version is not $OTELCOL_VERSION (deploy/stack-versions.env); make them agree."
  grep -qE "^\s*github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION( |$)" "$JAEGER_MODULE_DIR/go.mod" ||
    die "$JAEGER_MODULE_DIR/go.mod does not require github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION (deploy/stack-versions.env); make them agree."
  grep -qE "^\s*github.com/VictoriaMetrics/VictoriaLogs v$VICTORIALOGS_VERSION( |$)" "$VICTORIALOGS_MODULE_DIR/go.mod" ||
    die "$VICTORIALOGS_MODULE_DIR/go.mod does not require github.com/VictoriaMetrics/VictoriaLogs v$VICTORIALOGS_VERSION (deploy/stack-versions.env); make them agree."
}

need_go() {
  command -v go >/dev/null 2>&1 ||
    die "Go is needed to build otelcol and Jaeger and was not found on PATH. Install Go 1.24 or newer from https://go.dev/dl/ and run this script again."
}

# Runs a long build at low priority, so it does not starve other work.
build_quietly() {
  nice -n 10 "$@"
}

install_otelcol() {
  if [ -x "$OTELCOL_DIR/otelcol" ]; then
    echo "otelcol $OTELCOL_VERSION: cached"
    return
  fi
  need_go
  if [ ! -x "$BUILDER" ]; then
    echo "Installing the Collector Builder $OTELCOL_VERSION..."
    GOBIN="$(dirname "$BUILDER")" build_quietly go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
  fi
  echo "Building otelcol $OTELCOL_VERSION from $MANIFEST (about 4 minutes from cold)..."
  local scratch
  scratch=$(mktemp -d "$TOOLS_DIR/otelcol-build.XXXXXX")
  # The manifest's output_path is relative: the generated sources and the
  # binary go to the scratch directory, never into the repository.
  (cd "$scratch" && build_quietly "$BUILDER" --config "$MANIFEST" --skip-strict-versioning=false)
  mkdir -p "$OTELCOL_DIR.tmp"
  mv "$scratch/otelcol-build/otelcol" "$OTELCOL_DIR.tmp/otelcol"
  rm -rf "$scratch"
  mv "$OTELCOL_DIR.tmp" "$OTELCOL_DIR"
}

install_jaeger() {
  if [ -x "$JAEGER_DIR/jaeger" ]; then
    echo "jaeger $JAEGER_VERSION: cached"
    return
  fi
  need_go
  echo "Building Jaeger $JAEGER_VERSION from $JAEGER_MODULE_DIR (about 9 minutes from cold)..."
  mkdir -p "$JAEGER_DIR.tmp"
  # Without the ldflag the binary reports an empty version. -mod=readonly:
  # the committed go.sum is the pin, never rewritten by a build.
  (cd "$JAEGER_MODULE_DIR" && build_quietly go build -mod=readonly -trimpath \
    -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$JAEGER_VERSION" \
    -o "$JAEGER_DIR.tmp/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$JAEGER_DIR.tmp" "$JAEGER_DIR"
}

install_victorialogs() {
  if [ -x "$VICTORIALOGS_DIR/victoria-logs" ]; then
    echo "victoria-logs $VICTORIALOGS_VERSION: cached"
    return
  fi
  need_go
  echo "Building VictoriaLogs $VICTORIALOGS_VERSION from $VICTORIALOGS_MODULE_DIR (about 2 minutes from cold)..."
  mkdir -p "$VICTORIALOGS_DIR.tmp"
  (cd "$VICTORIALOGS_MODULE_DIR" && build_quietly go build -mod=readonly -trimpath \
    -o "$VICTORIALOGS_DIR.tmp/victoria-logs" github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs)
  mv "$VICTORIALOGS_DIR.tmp" "$VICTORIALOGS_DIR"
}

install_debian_packages() {
  if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && command -v docker-compose >/dev/null 2>&1; then
    echo "prometheus, promtool, docker-compose: installed"
    return
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "prometheus, promtool and docker-compose are missing and there is no apt-get: install Prometheus 2.42+ and docker-compose by other means."
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "installing prometheus and docker-compose needs root: run this script as root or install sudo."
    sudo=(sudo)
  fi
  echo "Installing prometheus and docker-compose from Debian's packages..."
  "${sudo[@]}" apt-get update
  # Without --no-install-recommends docker-compose pulls in docker.io,
  # containerd and iptables, which the tests do not need.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends prometheus docker-compose
}

main() {
  check_inputs
  mkdir -p "$TOOLS_DIR"
  # One install at a time per tools directory: a second run waits, then finds
  # the binaries cached.
  exec 9>"$TOOLS_DIR/.install.lock"
  flock 9
  # Leftovers of an interrupted build are never mistaken for a finished one.
  rm -rf "$OTELCOL_DIR.tmp" "$JAEGER_DIR.tmp" "$VICTORIALOGS_DIR.tmp" "$TOOLS_DIR"/otelcol-build.*
  install_otelcol
  install_jaeger
  install_victorialogs
  install_debian_packages
  echo
  echo "otelcol:        $OTELCOL_DIR/otelcol ($("$OTELCOL_DIR/otelcol" --version))"
  echo "jaeger:         $JAEGER_DIR/jaeger ($("$JAEGER_DIR/jaeger" version 2>/dev/null | grep -o '"gitVersion":"[^"]*"' || echo "version unknown"))"
  echo "victoria-logs:  $VICTORIALOGS_DIR/victoria-logs (built from v$VICTORIALOGS_VERSION)"
  echo "prometheus:     $(command -v prometheus) ($(prometheus --version 2>&1 | head -n 1))"
  echo "promtool:       $(command -v promtool)"
  echo "docker-compose: $(command -v docker-compose) ($(docker-compose version --short 2>/dev/null || docker-compose --version))"
}

main "$@"
