#!/usr/bin/env bash
# Installs what the end-to-end tests need: a real VS Code (code-server, from the
# npm registry) with its native modules built from source, plus Debian's
# chromium (driven by playwright-core) and the build dependencies.
#
#   scripts/setup-e2e.sh            # install (a second run is a fast no-op)
#   scripts/setup-e2e.sh --editor   # only what `npm start` needs: no Chromium
#   OPTIM_CODE_SERVER_DIR=/x ...    # install somewhere else
#   OPTIM_SETUP_FORCE=1 ...         # reinstall even if the marker is there
#
# Only the npm registry and Debian's apt repositories are used: every install
# step that would download a prebuilt binary (ripgrep, argon2, kerberos) is
# replaced by a local build or by the Debian binary.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CS_VERSION="4.100.3"
# Bump when the recipe below changes, so existing installs are redone.
RECIPE_REV="1"
DEST="${OPTIM_CODE_SERVER_DIR:-$REPO/.cache/code-server-$CS_VERSION}"
MARKER="$DEST/.optim-e2e-ready"
MARKER_TEXT="code-server $CS_VERSION recipe $RECIPE_REV node $(node -p 'process.versions.modules' 2>/dev/null || echo none)"

# ripgrep replaces the rg that VS Code's search would download; libkrb5-dev
# builds its kerberos module. Chromium is for the tests only: a user brings a browser.
APT_PACKAGES=(ripgrep libkrb5-dev)
[ "${1:-}" = "--editor" ] || APT_PACKAGES+=(chromium)

T_START=$(date +%s.%N)
log() { printf '[setup-e2e] %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

# step NAME CMD...: runs CMD with its output in a log file, prints its duration,
# and on failure prints the end of the log.
LOG_DIR=""
step() {
  local name="$1"; shift
  local t0 logf
  t0=$(date +%s.%N)
  logf="${LOG_DIR:-/tmp}/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').log"
  log "-> $name"
  if "$@" >"$logf" 2>&1; then
    log "   done in $(elapsed "$t0")"
  else
    local rc=$?
    log "   FAILED (exit $rc) after $(elapsed "$t0"); last lines of $logf:"
    tail -n 60 "$logf" | sed 's/^/    | /' >&2
    exit "$rc"
  fi
}

# ---------------------------------------------------------------- node / npm
command -v node >/dev/null || { log "node is not installed"; exit 1; }
command -v npm >/dev/null || { log "npm is not installed"; exit 1; }
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" != "20" ]; then
  log "code-server $CS_VERSION needs Node 20 (found $(node --version))"
  exit 1
fi

# ---------------------------------------------------------------- apt packages
# shellcheck source=apt-ensure.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh"
wanted=("${APT_PACKAGES[@]}")
# A C++ toolchain and python3 are needed by node-gyp; they are on a fresh
# machine of this kind, but ask for them if they are not.
command -v g++ >/dev/null && command -v make >/dev/null || wanted+=(build-essential)
command -v python3 >/dev/null || wanted+=(python3)
ensure_apt_packages "${wanted[@]}"

# ---------------------------------------------------------------- fast path
if [ -z "${OPTIM_SETUP_FORCE:-}" ] && [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$MARKER_TEXT" ] \
   && [ -f "$DEST/out/node/entry.js" ]; then
  log "code-server $CS_VERSION already installed in $DEST ($(elapsed "$T_START"))"
  exit 0
fi

# ---------------------------------------------------------------- install
# Everything is built in a staging folder and moved into place at the end, so
# an interrupted run never leaves a half-installed $DEST behind a marker.
STAGE="$DEST.partial"
rm -rf "$STAGE"
mkdir -p "$STAGE/.setup-logs"
LOG_DIR="$STAGE/.setup-logs"
log "installing code-server $CS_VERSION into $DEST"

# Keep npm non-interactive and independent of the user's npm config:
# - yes=true: the user npmrc here sets yes=false, which makes any npx-style
#   prompt inside an install script fail instead of answering.
# - dangerously-allow-all-scripts: npm 11's allowScripts policy lists (and, in
#   strict mode or future releases, blocks) dependency install scripts that no
#   package.json approved. code-server's lockfiles approve none, and the native
#   modules below must be built, so the policy is bypassed for these commands
#   only. (Older npm 11 versions ignore the unknown setting.)
# - no audit/fund/update-notifier noise; loglevel warn keeps the logs readable.
export npm_config_yes=true
export npm_config_dangerously_allow_all_scripts=true
export npm_config_strict_allow_scripts=false
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false
export npm_config_foreground_scripts=true
# node-gyp: build against the headers that ship with this node (no download).
NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$NODE_PREFIX/include/node/node.h" ]; then
  export npm_config_nodedir="$NODE_PREFIX"
fi
export JOBS="$(nproc 2>/dev/null || echo 2)"

pack_and_unpack() {
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "code-server@$CS_VERSION" --silent)
  tar -xzf "$tmp/code-server-$CS_VERSION.tgz" -C "$STAGE" --strip-components=1
  rm -rf "$tmp"
}
step "npm pack code-server@$CS_VERSION" pack_and_unpack

VS="$STAGE/lib/vscode"
step "npm install lib/vscode (no scripts)" bash -c "cd '$VS' && npm install --omit=dev --ignore-scripts"
step "npm install package root (no scripts)" bash -c "cd '$STAGE' && npm install --omit=dev --ignore-scripts"

# @vscode/ripgrep's postinstall downloads rg from GitHub unless bin/ exists:
# use Debian's ripgrep instead.
link_rg() {
  local rg
  rg="$(command -v rg)"
  mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
  ln -sf "$rg" "$VS/node_modules/@vscode/ripgrep/bin/rg"
  "$VS/node_modules/@vscode/ripgrep/bin/rg" --version
}
step "link Debian rg into @vscode/ripgrep" link_rg

# Build VS Code's native modules (kerberos, spdlog, node-pty, native-watchdog,
# deviceid, ...). kerberos first tries prebuild-install, which fails at once
# offline and falls back to node-gyp.
step "npm rebuild lib/vscode (native modules)" bash -c "cd '$VS' && npm rebuild"

# Built-in extensions' shared deps (typescript for the TS/JS/HTML features).
step "npm install lib/vscode/extensions" bash -c "cd '$VS/extensions' && npm install --omit=dev"

# What code-server's postinstall.sh does besides installing.
finish_layout() {
  cd "$VS"
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  (cd bin/remote-cli && ln -sf code-linux.sh code-server)
  (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
}
step "node_modules.asar and bin links" finish_layout

# argon2 (password hashing; unused with --auth none but loaded at start):
# --build-from-source skips node-pre-gyp's download from GitHub.
step "npm rebuild argon2 (from source)" bash -c "cd '$STAGE' && npm rebuild argon2 --build-from-source"

# Fail now, with a clear message, if any native module did not get built
# (e.g. because a future npm skipped unapproved install scripts).
verify_native() {
  cd "$VS"
  node -e '
    const mods = ["kerberos", "@vscode/spdlog", "node-pty", "native-watchdog", "@parcel/watcher", "@vscode/deviceid"];
    let bad = 0;
    for (const m of mods) {
      try { require(m); console.log("ok   " + m); }
      catch (e) { bad++; console.log("FAIL " + m + ": " + e.message.split("\n")[0]); }
    }
    process.exit(bad ? 1 : 0);
  '
  cd "$STAGE"
  node -e 'require("argon2"); console.log("ok   argon2")'
  test -x "$VS/node_modules/@vscode/ripgrep/bin/rg"
  test -f "$VS/extensions/node_modules/typescript/lib/typescript.js"
  # --config keeps code-server from writing ~/.config/code-server/config.yaml
  XDG_DATA_HOME="$LOG_DIR/xdg-data" node "$STAGE/out/node/entry.js" --config "$LOG_DIR/verify-config.yaml" --version
}
step "verify native modules and entry point" verify_native

rm -rf "$DEST"
mv "$STAGE" "$DEST"
printf '%s' "$MARKER_TEXT" > "$MARKER"
log "installed code-server $CS_VERSION in $DEST ($(du -sh "$DEST" | cut -f1)) in $(elapsed "$T_START")"
log "logs: $DEST/.setup-logs"
