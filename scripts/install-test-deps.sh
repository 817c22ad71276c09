#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine, only when missing:
# - ffmpeg/ffprobe (the real encoder the ingest tests drive);
# - Debian's chromium and the pinned player libraries in test/player
#   (dash.js, shaka-player, hls.js, playwright-core) for the real-browser
#   player harness test/player/play.mjs;
# - xmllint (libxml2-utils), which test/mpdschema validates MPDs with;
# - .bin/livesim2, DASH-IF's reference CMAF-ingest source, built from the
#   separate module test/peers (test/livesim drives it).
# Safe to run again: with everything present it only checks and returns.
# Never downloads a browser: playwright-core drives /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when something is missing: it is the slow part.
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
ffmpeg -hide_banner -version | head -1

# Node.js and npm come with the machine (Debian bookworm's nodejs is 18,
# too old for playwright-core, so it is not a fallback).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-test-deps: node (>= 20) and npm are needed for test/player" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-test-deps: node $(node --version) is too old for test/player, need >= 20" >&2
  exit 1
fi

# node_modules is current when it was installed from this very lock file
# (npm ci records nothing we can compare cheaply, so we keep the lock's hash)
# and still holds every pinned package at its pinned version.
lock=test/player/package-lock.json
stamp=test/player/node_modules/.reapd-lock.sha256
want="$(sha256sum "$lock" | cut -d' ' -f1)"
pinned() {
  (cd test/player && node -e '
    const deps = require("./package.json").dependencies;
    for (const [name, version] of Object.entries(deps)) {
      try { if (require("./node_modules/" + name + "/package.json").version !== version) process.exit(1); }
      catch { process.exit(1); }
    }') 2>/dev/null
}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! pinned; then
  # --ignore-scripts: none of the pinned packages needs one, and no
  # install script gets the chance to fetch a browser.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix test/player --ignore-scripts --no-audit --no-fund
  echo "$want" >"$stamp"
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1); player libraries: $(cd test/player &&
  node -p 'Object.entries(require("./package.json").dependencies).map(([n, v]) => n + "@" + v).join(" ")')"

# Real object-store servers for the S3 and GCS tests, built from pinned
# modules into the git-ignored .bin/ (about two minutes the first time).
VERSITYGW_VERSION=v1.8.0
FAKE_GCS_VERSION=v1.56.1
mkdir -p .bin
stamp_ok() { [ -x ".bin/$1" ] && [ "$(cat ".bin/$1.version" 2>/dev/null)" = "$2" ]; }
if ! stamp_ok versitygw "$VERSITYGW_VERSION"; then
  GOBIN="$PWD/.bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  echo "$VERSITYGW_VERSION" >.bin/versitygw.version
fi
if ! stamp_ok fake-gcs-server "$FAKE_GCS_VERSION"; then
  GOBIN="$PWD/.bin" go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  echo "$FAKE_GCS_VERSION" >.bin/fake-gcs-server.version
fi
echo "object stores: versitygw $VERSITYGW_VERSION, fake-gcs-server $FAKE_GCS_VERSION in .bin/"

# livesim2 is a tool of the module test/peers (kept out of reapd's go.mod;
# the proxy refuses `go install …@v1.9.0`, see toolchain.md). Its stamp is
# the version test/peers/go.mod pins, so a bump there rebuilds it.
LIVESIM2_VERSION="$(go -C test/peers list -m -f '{{.Version}}' github.com/Dash-Industry-Forum/livesim2)"
if ! stamp_ok livesim2 "$LIVESIM2_VERSION"; then
  go -C test/peers build -o "$PWD/.bin/livesim2" github.com/Dash-Industry-Forum/livesim2/cmd/livesim2
  echo "$LIVESIM2_VERSION" >.bin/livesim2.version
fi
echo "encoders: livesim2 $LIVESIM2_VERSION in .bin/; xmllint: $(xmllint --version 2>&1 | head -1)"
