#!/usr/bin/env bash
# The real data the examples and the data tests read: Fashion-MNIST from
# Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist).
set -euo pipefail
log() { printf '[setup-data] %s\n' "$*"; }
step() {
  local title=$1
  shift
  log "-> $title"
  "$@" > /dev/null
}
# shellcheck source=apt-ensure.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh"
ensure_apt_packages dataset-fashion-mnist
