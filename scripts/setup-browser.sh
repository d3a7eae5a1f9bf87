#!/usr/bin/env bash
# What the browser tests of the panels need: Debian's chromium, driven by
# playwright-core (an npm dev dependency). The end-to-end setup installs it too.
set -euo pipefail
log() { printf '[setup-browser] %s\n' "$*"; }
step() {
  local title=$1
  shift
  log "-> $title"
  "$@" > /dev/null
}
# shellcheck source=apt-ensure.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh"
ensure_apt_packages chromium
