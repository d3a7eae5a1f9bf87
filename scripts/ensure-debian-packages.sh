#!/usr/bin/env bash
# Installs the Debian packages named on the command line when they are
# missing: dataset-fashion-mnist for the data the examples and tests read,
# chromium for the panels' browser tests, neovim for the test of docs/editors.md.
#   scripts/ensure-debian-packages.sh PACKAGE...
set -euo pipefail
log() { printf '[debian] %s\n' "$*"; }
step() {
  local title=$1
  shift
  log "-> $title"
  "$@" > /dev/null
}
# shellcheck source=apt-ensure.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh"
ensure_apt_packages "$@"
